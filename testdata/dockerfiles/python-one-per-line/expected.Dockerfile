FROM python:3.12-slim

# System packages the service shells out to.
RUN apt-get update && apt-get install -y --no-install-recommends \
    libpq5 \
    gosu \
    imagemagick \
    ghostscript \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
USER 10001
CMD ["gunicorn", "app:app"]
