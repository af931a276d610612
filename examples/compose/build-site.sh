#!/bin/sh
# The `site` service: build the docmost-syncd site kit whenever docmost-syncd published a change,
# and switch the web server to the new build in one rename (readers never see half a site).
set -eu
npm ci --no-audit --no-fund --loglevel=error
built=""
while :; do
  # Each published space's completion marker names its content digest: together they say
  # whether anything changed since the last build.
  current=$(cat /docs/*/.docmost-syncd-complete 2>/dev/null | sha256sum | cut -c1-16)
  if [ -n "$(ls /docs/*/.docmost-syncd-complete 2>/dev/null)" ] && [ "$current" != "$built" ]; then
    if npx docusaurus build --out-dir "/html/build-$current"; then
      ln -sfn "build-$current" /html/current.next && mv -T /html/current.next /html/current
      find /html -maxdepth 1 -name 'build-*' ! -name "build-$current" -exec rm -rf {} +
      built=$current
    fi
  fi
  sleep 10  # checking the markers costs nothing; an edit waits at most this long for its build
done
