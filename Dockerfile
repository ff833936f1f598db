# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --create-home app && mkdir -p /app/var && chown -R app /app/var
USER app
EXPOSE 8000
# Worker settings and Prometheus multiprocess mode: gunicorn.conf.py. Meant to run behind the
# buffering proxy in deploy/nginx/ (docker-compose.yml does), never exposed to clients directly.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]
