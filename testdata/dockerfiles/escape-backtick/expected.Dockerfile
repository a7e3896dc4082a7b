# escape=`
FROM debian:bookworm
RUN apt-get update && `
    apt-get install -y `
        git `
        openssh-client `
        rsync && `
    rm -rf /var/lib/apt/lists/*
COPY C:\\not-a-windows-path.txt /tmp/
CMD ["git", "--version"]
