#!/usr/bin/env bash
# Issues 21 and 25's proof: `make test` on a fresh clone as a non-root user with no chromium to be found
# and /usr/share/datasets hidden (a mount namespace), the data in the user's cache, and a `sudo` and an
# `apt-get` that fail and are recorded if called (a password-protected sudo, simulated): make test must
# not call them. The real ones are hidden too.
# Run as root on a Debian machine (not part of CI): bash .ci/as-learner.sh /path/to/repo > /tmp/learner.log
set -euo pipefail
REPO=${1:-/work/main}
id learner >/dev/null 2>&1 || useradd --create-home --shell /bin/bash learner
rm -rf /tmp/learner-src.git && git clone --quiet --bare "$REPO" /tmp/learner-src.git && chown -R learner:learner /tmp/learner-src.git
# a PATH with every command of /usr/bin but apt, apt-get, sudo and chromium (/bin is /usr/bin here), and
# in place of apt, apt-get and sudo a script that records the call in /tmp/learner-calls and fails
rm -rf /tmp/learner-bin /tmp/learner-calls && mkdir /tmp/learner-bin
for f in /usr/bin/*; do case ${f##*/} in apt|apt-get|sudo|chromium) ;; *) ln -s "$f" /tmp/learner-bin/;; esac; done
for cmd in apt apt-get sudo; do
  printf '#!/bin/sh\necho "%s $*" >> /tmp/learner-calls\necho "%s: a password is required" >&2\nexit 1\n' "$cmd" "$cmd" \
    > /tmp/learner-bin/$cmd
  chmod +x /tmp/learner-bin/$cmd
done
# the data in the learner's cache (as the cache folder d2l_utils looks in: ~/.cache/d2l_utils/FashionMNIST/raw)
install -d -o learner -g learner /home/learner/.cache/d2l_utils/FashionMNIST/raw
cp /usr/share/datasets/fashion-mnist/*-ubyte* /home/learner/.cache/d2l_utils/FashionMNIST/raw/ 2>/dev/null || \
  cp -r /usr/share/datasets/fashion-mnist/. /home/learner/.cache/d2l_utils/FashionMNIST/raw/
chown -R learner:learner /home/learner/.cache
rm -rf /home/learner/work
unshare --mount --propagation private bash -euo pipefail -c '
  mount -t tmpfs none /usr/share/datasets
  for f in /usr/bin/apt-get /usr/bin/apt /usr/bin/sudo /usr/bin/chromium; do
    [ -e "$f" ] && mount --bind /dev/null "$f"; done
  runuser -u learner -- env -i HOME=/home/learner USER=learner PATH=/tmp/learner-bin LANG=C.UTF-8 \
    bash -c "set -e
      echo \"as \$(id -un) (uid \$(id -u)); apt-get: \$(command -v apt-get || echo none); sudo: \$(command -v sudo || echo none); chromium: \$(command -v chromium || echo none); /usr/bin/chromium executable: \$([ -x /usr/bin/chromium ] && echo yes || echo no); /usr/share/datasets: \$(ls -A /usr/share/datasets | wc -l) entries; python3: \$(command -v python3) \$(python3 -V)\"
      ls ~/.cache/d2l_utils/FashionMNIST/raw
      git clone --quiet /tmp/learner-src.git ~/work && cd ~/work && git log --oneline -1
      start=\$(date +%s); make test && rc=0 || rc=\$?; echo \"make test rc \$rc in \$(( \$(date +%s) - start )) s\""
'
if [ -e /tmp/learner-calls ]; then echo "make test called apt-get or sudo:"; cat /tmp/learner-calls; exit 1; fi
echo "make test called neither apt-get nor sudo"
