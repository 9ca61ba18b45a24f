# One image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VAR_DIR=/app/var

# WeasyPrint's system libraries, fonts for PDFs, and Node.js to install the front-end assets.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation \
      nodejs npm make curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install --upgrade pip && pip install -e . \
 && make assets \
 && DEBUG=0 SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only python manage.py collectstatic --noinput -v0 \
 && useradd --create-home --uid 10001 app && mkdir -p /app/var && chown -R app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "pathway.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
