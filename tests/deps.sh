#!/bin/sh
# Checks that the Debian packages named on the command line are installed.
# As root it installs what is missing; otherwise it prints the apt-get line.
missing=""
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing:$missing"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null && exit 0
  echo "apt-get failed; run: apt-get install$missing" >&2
  exit 1
fi
echo "missing Debian packages; run as root:" >&2
echo "  apt-get install$missing" >&2
exit 1
