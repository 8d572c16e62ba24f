# Herald in a container: SQLite in /data by default; set HERALD_DATABASE_URL for PostgreSQL (compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HERALD_DATABASE_URL=sqlite:////data/herald.db \
    HERALD_SECRET_KEY_FILE=/data/herald.key \
    HERALD_LOG_FORMAT=json

RUN useradd --system --uid 10001 --home-dir /data --create-home herald

WORKDIR /opt/herald
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && rm -rf /root/.cache

USER herald
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
ENTRYPOINT ["herald"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
