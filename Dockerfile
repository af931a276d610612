# docmost-syncd: mirrors every space of a Docmost wiki into Docusaurus-ready markdown.
#
#   docker build -t docmost-syncd .          (or: podman build --format docker -t docmost-syncd .)
#
# The image runs `docmost-syncd run` as an unprivileged user, writes only to /docs (a volume) and
# /tmp, needs no capability, and works with a read-only root filesystem. Configure it with
# DOCMOST_SYNCD_<SECTION>__<KEY> variables and/or a TOML file named by DOCMOST_SYNCD_CONFIG; give
# the password as a file (DOCMOST_SYNCD_DOCMOST__PASSWORD_FILE, e.g. a compose secret).
# examples/compose/ runs it next to Docmost; the README's "Running in a container" says more.

ARG BASE=python:3.12-slim

# ---- build: the package and its dependencies into a venv -----------------------------------------
FROM ${BASE} AS build
# A folder of wheels to install from instead of the package index (a machine without one mounts
# it with `podman build --volume <wheels>:/wheels --build-arg WHEELS=/wheels`).
ARG WHEELS=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/docmost-syncd
COPY pyproject.toml README.md /src/
COPY docmost_syncd /src/docmost_syncd
# The CA bundle is a build secret only where pip needs a CA the image lacks (a proxy's own).
RUN --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    /opt/docmost-syncd/bin/pip install ${WHEELS:+--no-index --find-links "$WHEELS"} /src \
    && /opt/docmost-syncd/bin/python -m compileall -q /opt/docmost-syncd/lib \
    && /opt/docmost-syncd/bin/pip uninstall -y -q pip setuptools

# ---- the image: the base, the venv, a user --------------------------------------------------------
FROM ${BASE}
COPY --from=build /opt/docmost-syncd /opt/docmost-syncd
RUN groupadd --system --gid 10001 docmost-syncd \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin docmost-syncd \
    && mkdir /docs && chown docmost-syncd:docmost-syncd /docs
ENV PATH=/opt/docmost-syncd/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DOCMOST_SYNCD_OUTPUT__DIR=/docs \
    DOCMOST_SYNCD_HTTP__BIND=0.0.0.0:9808 \
    DOCMOST_SYNCD_LOG__FORMAT=json \
    DOCMOST_SYNCD_LOG__STREAM=stdout
# The published spaces, and docmost-syncd's state and page cache in /docs/.docmost-syncd/.
VOLUME /docs
USER docmost-syncd:docmost-syncd
EXPOSE 9808
# /healthz on the port DOCMOST_SYNCD_HTTP__BIND names (0.0.0.0 inside a container, so that the
# port can be published; the check itself asks loopback).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; host, _, port = os.environ['DOCMOST_SYNCD_HTTP__BIND'].rpartition(':'); urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]
# Exec form: docmost-syncd is PID 1 and gets SIGTERM itself; it stops within its 2 s deadline
# (give hooks that run longer a larger `stop_grace_period`).
STOPSIGNAL SIGTERM
ENTRYPOINT ["docmost-syncd"]
CMD ["run"]
