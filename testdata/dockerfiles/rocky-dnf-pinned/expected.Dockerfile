FROM rockylinux:9.3
RUN dnf install -y \
      curl-minimal-7.76.1 \
      httpd-2.4.57-5.el9 \
      mod_ssl-2.4.57-5.el9 \
      procps-ng \
    && dnf clean all
EXPOSE 8080
CMD ["httpd", "-DFOREGROUND"]
