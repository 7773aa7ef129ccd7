// mdvax: tell the visitor to reload when the kernel behind this page dies or restarts.
// The kernel websocket is wrapped (before Voila's own code runs) to watch for the
// "restarting"/"autorestarting"/"dead" status the server sends, and for the connection closing
// for good, or closing because the page sent a message larger than the server accepts (code 1009:
// a file too big to upload). The notice is built with textContent only: nothing from the server
// is parsed as HTML.
(function () {
  "use strict";
  var NativeWebSocket = window.WebSocket;
  var KERNEL_URL = /\/api\/kernels\/[^/]+\/channels/;
  var DEAD = /"execution_state"\s*:\s*"(restarting|autorestarting|dead)"/;
  var decoder = new TextDecoder("utf-8");
  // mdvax serve writes its websocket message limit here when it sends the page.
  var MAX_MESSAGE = Number("MDVAX_MAX_MESSAGE_BYTES") || 0;
  var unloading = false;
  var pendingLoss = null;
  window.addEventListener("beforeunload", function () { unloading = true; });

  var TEXT = {
    "too-large": "That file is larger than this server accepts, so nothing was uploaded. " +
      "Reload the page to continue, and pick a smaller file. ",
    "default": "This dashboard lost its connection to the server, so its controls no " +
      "longer respond. Reload the page to continue. "
  };

  function showNotice(reason) {
    if (unloading || document.getElementById("mdvax-reload-notice")) { return; }
    var box = document.createElement("div");
    box.id = "mdvax-reload-notice";
    box.setAttribute("role", "alert");
    box.dataset.reason = reason;
    box.style.cssText = "position:fixed;top:0;left:0;right:0;z-index:10000;padding:12px 16px;" +
      "background:#fff3cd;color:#533f03;border-bottom:2px solid #d39e00;font:16px sans-serif";
    var text = document.createElement("span");
    text.textContent = TEXT[reason] || TEXT["default"];
    var button = document.createElement("button");
    button.textContent = "Reload";
    button.addEventListener("click", function () { window.location.reload(); });
    box.appendChild(text);
    box.appendChild(button);
    (document.body || document.documentElement).appendChild(box);
  }

  function inspect(data) {
    var text = null;
    if (typeof data === "string") {
      text = data.length < 4096 ? data : null;
    } else if (data instanceof ArrayBuffer && data.byteLength < 4096) {
      text = decoder.decode(new Uint8Array(data));
    }
    if (text !== null && text.indexOf('"status"') !== -1 && DEAD.test(text)) {
      showNotice("kernel");
    }
  }

  function messageSize(data) {
    if (typeof data === "string") {
      return data.length * 3 < MAX_MESSAGE ? data.length : new TextEncoder().encode(data).length;
    }
    return data.byteLength !== undefined ? data.byteLength : (data.size || 0);
  }

  function WatchedWebSocket(url, protocols) {
    var socket = protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols);
    if (KERNEL_URL.test(String(url))) {
      var nativeSend = socket.send;
      socket.send = function (data) {
        // A message over the server's limit would only get the connection closed: keep it.
        if (MAX_MESSAGE && messageSize(data) > MAX_MESSAGE) { showNotice("too-large"); return; }
        return nativeSend.call(socket, data);
      };
      socket.addEventListener("message", function (event) { inspect(event.data); });
      socket.addEventListener("open", function () { clearTimeout(pendingLoss); });
      socket.addEventListener("close", function (event) {
        if (event.code === 1009) { showNotice("too-large"); return; }
        // Voila's client reconnects after a blip; only a connection not back in 5 s is a loss.
        if (event.code !== 1000) {
          clearTimeout(pendingLoss);
          pendingLoss = setTimeout(function () { showNotice("connection"); }, 5000);
        }
      });
    }
    return socket;
  }
  WatchedWebSocket.prototype = NativeWebSocket.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (name) {
    WatchedWebSocket[name] = NativeWebSocket[name];
  });
  window.WebSocket = WatchedWebSocket;
})();
