FROM alpine:3.20
RUN apk add --no-cache ca-certificates curl=8.9.1-r0 tzdata
RUN apk add --no-cache --virtual .build-deps gcc musl-dev \
    && make -C /src install \
    && apk del .build-deps
COPY --chown=app:app bin/ /usr/local/bin/
USER app
CMD ["server"]
