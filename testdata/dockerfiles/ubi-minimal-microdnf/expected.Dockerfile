FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4
RUN microdnf install -y --nodocs --setopt=install_weak_deps=0 \
        procps-ng-3.3.17 \
        shadow-utils \
        tar \
    && microdnf clean all \
    && useradd -r -u 1001 app
COPY --chown=1001:0 target/app.jar /opt/app/app.jar
USER 1001
CMD ["java", "-jar", "/opt/app/app.jar"]
