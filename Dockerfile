# Hotline service image: one app node. compose.yaml runs two behind a proxy with PostgreSQL and Redis Sentinel.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HOTLINE_DATA_DIR=/var/lib/hotline

RUN useradd --system --create-home --home-dir /var/lib/hotline hotline
WORKDIR /app
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY hotline ./hotline
COPY intents ./intents
COPY ivr ./ivr
COPY channels ./channels
COPY specialist_queue ./specialist_queue
COPY registry_client ./registry_client
COPY privacy ./privacy
COPY selfservice ./selfservice
RUN pip install --no-compile -c constraints.txt .

USER hotline
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["hotline", "serve", "--host", "0.0.0.0", "--port", "8000"]
