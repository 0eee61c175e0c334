#!/usr/bin/env bash
# Installs the Autobahn|Testsuite's `wstest` (PyPI autobahntestsuite 25.10.1, 517 cases) for
# autobahn/run.mjs, on Debian 12, without Docker:
#
#   bash autobahn/setup.sh            # -> /opt/autobahn/bin/wstest
#   AUTOBAHN_PREFIX=$HOME/.autobahn bash autobahn/setup.sh
#   bash autobahn/setup.sh --force    # reinstall over what is there
#
# wstest is Python 2 code. Debian 12 has no Python 2, so we take Python 2.7 from Debian 11
# (bullseye): its .debs are downloaded with a private apt state and unpacked (`dpkg -x`) into
# $PREFIX/py27 — nothing is installed system-wide from bullseye. Then pip installs wstest and
# a pinned Python 2 dependency set from PyPI into that private Python.
#
# Idempotent: when $PREFIX/bin/wstest already runs and reports 25.10.1 the script exits at
# once (well under a second); otherwise each step only fills in what is missing. A fresh
# install downloads about 15 MB (Debian and PyPI) and compiles one C extension.
#
# On a machine with Docker, the suite's own image works too: make WSTEST a wrapper such as
#   #!/bin/sh
#   exec docker run --rm --net=host -v "$PWD:$PWD" -w "$PWD" crossbario/autobahn-testsuite wstest "$@"
# (run.mjs starts wstest in the report directory, so mounting $PWD is enough).
#
# Root is needed only to apt-get install a few stock Debian 12 libraries if they are missing
# (AUTOBAHN_NO_APT=1 skips that step). Python 2.7 and OpenSSL 1.1.1 are end-of-life: this
# private copy is for running the test suite against loopback only.
set -euo pipefail

PREFIX=${AUTOBAHN_PREFIX:-/opt/autobahn}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
VERSION=25.10.1
ROOT=$PREFIX/py27          # the unpacked bullseye Python 2.7 (+ libssl1.1, libffi7)
PY=$ROOT/usr/bin/python2.7
WSTEST=$PREFIX/bin/wstest

case "$(dpkg --print-architecture)" in
  amd64) TRIPLET=x86_64-linux-gnu ;;
  arm64) TRIPLET=aarch64-linux-gnu ;;
  *) echo "autobahn/setup.sh: unsupported architecture $(dpkg --print-architecture)" >&2; exit 1 ;;
esac
LIBDIR=$ROOT/usr/lib/$TRIPLET

# 0. Fast path: already installed (the check starts Python once, about 0.5 s).
if [ "${1:-}" != --force ] && [ -x "$WSTEST" ] \
   && "$WSTEST" --autobahnversion 2>/dev/null | grep -q "AutobahnTestSuite $VERSION"; then
  echo "wstest $VERSION: $WSTEST"
  exit 0
fi
echo "installing wstest $VERSION into $PREFIX"

export LD_LIBRARY_PATH=$LIBDIR
unset PYTHONPATH PYTHONHOME
export PIP_NO_PYTHON_VERSION_WARNING=1 PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$PREFIX/bin"

# 1. Stock Debian 12 packages: the shared libraries bullseye's libpython2.7-stdlib links
#    against (same sonames in both releases), and gcc to compile wsaccel.
NEEDED="ca-certificates debian-archive-keyring libbz2-1.0 libcrypt1 libdb5.3 libexpat1
        libncursesw6 libnsl2 libreadline8 libsqlite3-0 libtinfo6 libtirpc3 zlib1g gcc libc6-dev"
MISSING=$(for p in $NEEDED; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$MISSING" ] && [ -z "${AUTOBAHN_NO_APT:-}" ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "apt-get install" $MISSING
  $SUDO apt-get -q update >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $MISSING >/dev/null
fi

# 2. Python 2.7 from bullseye, through a private apt state directory (the system's apt
#    sources and lists are not touched), unpacked into $ROOT.
if [ ! -x "$PY" ] || [ ! -f "$ROOT/usr/include/python2.7/Python.h" ]; then
  A=$PREFIX/apt
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bullseye main" \
    > "$A/sources.list"
  APT=(-o "Dir::Etc::SourceList=$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
       -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache" -o APT::Sandbox::User=root)
  apt-get "${APT[@]}" -q update >/dev/null
  # python-pip-whl: Debian's pip 20.3.4 wheel (the last pip for Python 2) to bootstrap pip;
  # libpython2.7-dev: the headers wsaccel compiles against.
  (cd "$A/debs" && apt-get "${APT[@]}" -q download python2.7 python2.7-minimal \
     libpython2.7-minimal libpython2.7-stdlib libpython2.7-dev libssl1.1 libffi7 python-pip-whl >/dev/null)
  for deb in "$A"/debs/*.deb; do dpkg -x "$deb" "$ROOT"; done
  rm -rf "$A"
fi

# 3. pip 20.3.4 itself (into $ROOT/usr/local/lib/python2.7/dist-packages).
if ! "$PY" -m pip --version >/dev/null 2>&1; then
  "$PY" "$ROOT"/usr/share/python-wheels/pip-20.3.4-py2.py3-none-any.whl/pip install -q \
    --no-warn-script-location pip==20.3.4 setuptools==44.0.0 wheel==0.37.1
fi

# 4. wstest and its dependencies, every version pinned. The sdist declares no dependencies
#    (its requirements.txt is missing from it), so the list is written out here: the pins
#    of its egg-info, what pip resolves for them on Python 2.7, and autobahn[accelerate]
#    (ujson, and wsaccel: a C UTF-8 validator and XOR masker that make the 9.* cases about
#    4x faster; it has no wheel, and the bullseye headers are not where distutils looks).
cat > "$PREFIX/requirements-py27.txt" <<'EOF'
autobahntestsuite==25.10.1
autobahn==0.10.9
txaio==2.1.0
Twisted==19.10.0
zope.interface==4.6.0
incremental==16.10.1
pyOpenSSL==19.1.0
cryptography==3.3.2
service_identity==18.1.0
jinja2==2.11.3
markupsafe==1.1.1
Werkzeug==1.0.1
klein==17.10.0
unittest2==1.1.0
six==1.16.0
ujson==2.0.3
Automat==20.2.0
PyHamcrest==1.10.1
attrs==21.4.0
constantly==15.1.0
hyperlink==21.0.0
idna==2.10
cffi==1.15.1
pycparser==2.21
enum34==1.1.10
ipaddress==1.0.23
pyasn1==0.5.1
pyasn1-modules==0.3.0
typing==3.10.0.0
traceback2==1.4.0
linecache2==1.0.0
EOF
"$PY" -m pip install -q --no-warn-script-location --no-deps -r "$PREFIX/requirements-py27.txt"
CFLAGS="-I$ROOT/usr/include -I$ROOT/usr/include/python2.7" \
  "$PY" -m pip install -q --no-warn-script-location --no-deps --no-build-isolation wsaccel==0.6.6

# 5. The wrapper: finds the private libraries; -E ignores the caller's PYTHON* variables
#    (a Python 3 PYTHONPATH would break Python 2).
cat > "$WSTEST" <<EOF
#!/bin/sh
export LD_LIBRARY_PATH=$LIBDIR\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
exec $PY -E -u $ROOT/usr/local/bin/wstest "\$@"
EOF
chmod +x "$WSTEST"

"$WSTEST" --autobahnversion
echo "wstest $VERSION: $WSTEST"
