FROM node:20-alpine3.20 AS web
RUN apk add --no-cache \
      bash \
      curl \
      git \
      openssl
COPY . /app
CMD ["node", "/app/index.js"]
