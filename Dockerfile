# Lotse container image: non-root, data in a volume, config mounted read-only.
# .dockerignore keeps the build context to the files copied below (no venvs, no demo-data keys).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --system --create-home --uid 10001 lotse \
 && mkdir -p /data /config && chown lotse:lotse /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY commands ./commands
COPY knowledge ./knowledge
COPY devtools ./devtools
# The default synonym table and the example config live in config/ next to the code.
COPY config ./config
RUN pip install --no-cache-dir -e .

USER lotse
# /data holds the device, the crypto store (vodozemac, no system libraries needed) and the
# cross-signing keys. Set LOTSE_KEY_PASSPHRASE to seal those keys. Run
# `docker run -it ... lotse crypto bootstrap --config /config/lotse.yaml` once before the first
# start to see the recovery key in your terminal rather than in the container log (README).
VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
  CMD ["lotse", "health", "--config", "/config/lotse.yaml"]
ENTRYPOINT ["lotse"]
CMD ["run", "--config", "/config/lotse.yaml"]
