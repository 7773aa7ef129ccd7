#!/bin/sh
# Install deploy/nginx-mdvax.conf with this deployment's ports, then run nginx in the foreground.
# NGINX_PORT (default 80): where nginx listens; MDVAX_PORT_A / MDVAX_PORT_B (8866 / 8867): the two
# dashboards it balances, sticky by client address.
set -eu
port=${NGINX_PORT:-80}
a=${MDVAX_PORT_A:-8866}
b=${MDVAX_PORT_B:-8867}
for value in "$port" "$a" "$b"; do
  case $value in
    '' | *[!0-9]*) echo "nginx-start: ports must be numbers, not '$value'" >&2; exit 2 ;;
  esac
done
sed -e "s/listen 80;/listen $port;/" \
    -e "s/127\.0\.0\.1:8866;/127.0.0.1:$a;/" \
    -e "s/127\.0\.0\.1:8867;/127.0.0.1:$b;/" \
    /etc/mdvax/nginx-mdvax.conf > /etc/nginx/conf.d/mdvax.conf
# The shipped file must still have those lines: refuse to start on a config that lost its ports.
for line in "listen $port;" "server 127.0.0.1:$a;" "server 127.0.0.1:$b;"; do
  grep -qF "$line" /etc/nginx/conf.d/mdvax.conf ||
    { echo "nginx-start: '$line' is not in the site config; has deploy/nginx-mdvax.conf changed?" >&2; exit 2; }
done
exec nginx -g "daemon off;"
