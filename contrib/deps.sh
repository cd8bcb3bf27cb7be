#!/bin/sh
# deps.sh - install the Debian 12 packages exfil-milter needs to build and
# test, and only those that are missing. Postfix is installed with "No
# configuration": its binaries only; the system instance is neither
# configured nor started. Run as root, or as a user who may use sudo.
set -eu

PACKAGES="autoconf automake libtool make pkg-config gcc clang
libmilter-dev libmagic-dev libmagic-mgc libpcre2-dev libssl-dev
libcmocka-dev openssl postfix miltertest swaks python3 groff-base sharutils
sasl2-bin libsasl2-modules libarchive-dev libxml2-dev zlib1g-dev libjson-c-dev
ca-certificates libpoppler-glib-dev libgsf-1-dev libytnef0-dev time
libseccomp-dev"

missing=
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps.sh: missing packages:$missing; run as root to install them" >&2
		exit 1
	fi
fi
echo "deps.sh: installing:$missing" >&2
echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends $missing >/dev/null
