#!/bin/sh
# The daily report job: `mdvax report --update` now, then every day at MDVAX_REPORT_AT (HH:MM, UTC).
# A failed run is logged (and recorded in the reports' index by mdvax) and retried next day;
# earlier reports stay published. Extra arguments go to `mdvax report`.
set -u
trap 'exit 0' TERM INT  # PID 1 in the container: stop at once when asked
at=${MDVAX_REPORT_AT:-06:00}
out=${MDVAX_REPORTS_DIR:-/srv/mdvax/reports}
case $at in
  [0-2][0-9]:[0-5][0-9]) ;;
  *) echo "mdvax-daily-report: MDVAX_REPORT_AT must be HH:MM (UTC), not '$at'" >&2; exit 2 ;;
esac
at_seconds=$(( $(echo "$at" | cut -c1-2 | sed 's/^0//') * 3600 + $(echo "$at" | cut -c4-5 | sed 's/^0//') * 60 ))
while :; do
  mdvax report --update --out "$out" "$@" || echo "mdvax-daily-report: report failed (exit $?)" >&2
  now=$(date -u +%s)
  wait=$(( (at_seconds - now % 86400 + 86400) % 86400 ))
  [ "$wait" -gt 60 ] || wait=$(( wait + 86400 ))
  echo "mdvax-daily-report: next report in ${wait}s" >&2
  sleep "$wait" &
  wait $!
done
