// mdvax dashboard: what ipywidgets and Leaflet do not let Python set (docs/accessibility.md).
// - names: the date slider's handle, the Play widget's icon buttons, the ToggleButtons groups
//   (ipywidgets has no ARIA attributes: jupyter-widgets/ipywidgets#2650), the map;
// - state: aria-pressed on toggle buttons, the slider's date as aria-valuetext;
// - the headline as a polite live region;
// - Escape closes the county panel ("Back to Maryland"), focus goes to the county selector;
// - prefers-reduced-motion: ticks the hidden "Reduce motion" box (the kernel slows Play).
// Widgets are drawn and redrawn at any time: one MutationObserver, batched per frame.
(function () {
  "use strict";
  var PLAY_NAMES = {"fa-play": "Play", "fa-pause": "Pause", "fa-stop": "Stop", "fa-retweet": "Repeat"};
  var MAP_NAME = "Map of Maryland's counties coloured by the figure shown. " +
    "Choose a county with the County selector; the figures are in the table below the map.";
  var uid = 0;
  var motion = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;

  function set(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }

  function labelId(label) {
    if (!label.id) { uid += 1; label.id = "mdvax-label-" + uid; }
    return label.id;
  }

  function fix(root) {
    root.querySelectorAll(".widget-toggle-buttons").forEach(function (box) {
      var label = box.querySelector(".widget-label");
      set(box, "role", "group");
      if (label && label.textContent.trim()) { set(box, "aria-labelledby", labelId(label)); }
    });
    root.querySelectorAll("button.widget-toggle-button").forEach(function (b) {
      set(b, "aria-pressed", b.classList.contains("mod-active") ? "true" : "false");
    });
    root.querySelectorAll(".mdvax-date").forEach(function (slider) {
      var label = slider.querySelector(".widget-label");
      var readout = slider.querySelector(".widget-readout");
      slider.querySelectorAll(".noUi-handle").forEach(function (handle) {
        if (label && label.textContent.trim()) { set(handle, "aria-labelledby", labelId(label)); }
        if (readout) { set(handle, "aria-valuetext", readout.textContent.trim()); }
      });
      if (readout && label) { set(readout, "aria-label", label.textContent.trim() + " (type a date)"); }
    });
    root.querySelectorAll(".widget-play button").forEach(function (b) {
      var icon = b.querySelector(".fa");
      if (!icon) { return; }
      Object.keys(PLAY_NAMES).forEach(function (cls) {
        if (icon.classList.contains(cls)) { set(b, "aria-label", PLAY_NAMES[cls] + " the days"); }
      });
      if (icon.classList.contains("fa-retweet")) {
        set(b, "aria-pressed", b.classList.contains("mod-active") ? "true" : "false");
      }
    });
    root.querySelectorAll(".mdvax-map.leaflet-container, .mdvax-map .leaflet-container")
      .forEach(function (map) {
        set(map, "role", "region");
        set(map, "aria-label", MAP_NAME);
        // The county shapes are bare SVG paths (Leaflet/Leaflet#7822): hidden from screen
        // readers, which get the County selector and the table instead.
        map.querySelectorAll("svg.leaflet-zoom-animated").forEach(function (svg) {
          set(svg, "aria-hidden", "true");
        });
      });
    root.querySelectorAll(".mdvax-live").forEach(function (live) {
      set(live, "role", "status");
      set(live, "aria-live", "polite");
      set(live, "aria-atomic", "true");
    });
    if (motion && motion.matches) {
      var box = root.querySelector(".mdvax-reduced-motion input[type=checkbox]");
      if (box && !box.checked && !box.dataset.mdvaxTicked) {
        box.dataset.mdvaxTicked = "1";
        box.click();
      }
    }
  }

  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; fix(document); });
  }

  function closePanel(event) {
    if (event.key !== "Escape" || event.defaultPrevented) { return; }
    if (!document.querySelector(".mdvax-panel[data-view='county']")) { return; }
    var back = document.querySelector("button.mdvax-back");
    if (!back) { return; }
    event.preventDefault();
    back.click();
    var county = document.querySelector(".mdvax-county select");
    if (county) { county.focus(); }
  }

  function start() {
    new MutationObserver(schedule).observe(document.body, {
      childList: true, subtree: true, characterData: true,
      attributes: true, attributeFilter: ["class"],
    });
    document.addEventListener("keydown", closePanel);
    schedule();
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
