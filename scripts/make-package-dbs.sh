#!/usr/bin/env bash
# Makes the package databases in testdata/packages/ with the REAL package managers, and records next to
# each what those tools themselves say is installed and who owns what, so test/packages/ can check the
# pure parsers in engine/packages/ without Docker or rpm.
#
#   usage: scripts/make-package-dbs.sh [--force]
#
# Idempotent: does nothing when every output exists (use --force to rebuild; the rpm database then changes
# because rpm stamps install times into it, so commit the database and its ground truth together).
# Needs: a Docker engine with driftgate-test/debian:bookworm (scripts/debian-base-image.sh), and Debian's
# `rpm` package (rpmbuild, rpm; installed with apt-get when missing). Takes about ten seconds.
#
# dpkg/ — from a container of driftgate-test/debian:bookworm (`--network none`), in which real dpkg first
#   installs three tiny packages built there with dpkg-deb, so the database also covers:
#     libdriftgate1 (Multi-Arch: same) for amd64 AND i386 (`dpkg --add-architecture i386`): list files
#       `info/libdriftgate1:amd64.list` / `:i386.list`, and a doc file both instances share;
#     driftgate-tools (amd64, not multi-arch): `info/driftgate-tools.list`, a path with spaces;
#     driftgate-conf (all, with a conffile), installed then `dpkg -r`'d: its stanza stays in `status` as
#       `deinstall ok config-files` and its list file keeps the conffile.
#   Outputs: status (the whole file), info/<pkg>.list for the packages named in $lists below,
#   dpkg-query.tsv (`dpkg-query -W`: package, version, arch, status abbrev — every stanza, installed or not),
#   dpkg-S.txt (`dpkg-query -S` for a few paths: which package(s) dpkg says own each).
# distroless/status.d/ — what GoogleContainerTools/distroless writes instead of `status`: one control
#   stanza per package (no Status field) in status.d/<pkg>, and the package's md5sums file as
#   status.d/<pkg>.md5sums. Written here from the REAL stanzas of the container's status file (Status
#   line dropped, as distroless's control files have none) and the REAL info/<pkg>.md5sums files.
# rpm/ — two tiny packages built by rpmbuild from the specs below, recorded with
#   `rpm --initdb` + `rpm -i --justdb --nodeps` into a fresh sqlite rpmdb (`_db_backend sqlite`):
#   rpmdb.sqlite, rpm-qa.tsv (`rpm -qa`: name, epoch, version, release, arch), rpm-ql.txt (`rpm -ql` of
#   each package, `name<TAB>path`, with a `d`/`f`/`l` type from `--qf` FILEMODES), and the two specs.
#   driftgate-hello requires libdriftgate three ways (a capability libdriftgate provides, a file it
#   lists, its name with a version) plus what rpmbuild adds (`rpmlib(...)`, `config(...)`) and a
#   `Requires(post): /bin/sh` no package there provides; it also conflicts with and recommends names
#   that are not requirements. rpm-requires.tsv / rpm-provides.tsv: `rpm -q --qf` REQUIRENAME with
#   REQUIREFLAGS, and PROVIDENAME, of each package (`name<TAB>value[<TAB>flags]`);
#   rpm-whatrequires.tsv: `rpm -q --whatrequires` of each package (`name<TAB>dependent`), rpm's answer
#   to "who needs this package by name".
# apk/ is NOT made here: Debian has no apk-tools; testdata/packages/apk/installed is written by hand from
#   apk-tools' database format (see testdata/packages/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/packages
image=driftgate-test/debian:bookworm
force=0
[[ "${1:-}" == "--force" ]] && force=1

lists=(bash dash dpkg coreutils usr-is-merged base-files libc6:amd64 gcc-12-base:amd64
  libdriftgate1:amd64 libdriftgate1:i386 driftgate-tools driftgate-conf)
distroless=(base-files libc6 gcc-12-base)
outputs=(dpkg/status dpkg/dpkg-query.tsv dpkg/dpkg-S.txt rpm/rpmdb.sqlite rpm/rpm-qa.tsv rpm/rpm-ql.txt
  rpm/rpm-requires.tsv rpm/rpm-provides.tsv rpm/rpm-whatrequires.tsv)
for l in "${lists[@]}"; do outputs+=("dpkg/info/$l.list"); done
for p in "${distroless[@]}"; do outputs+=("distroless/status.d/$p" "distroless/status.d/$p.md5sums"); done
missing=0
for f in "${outputs[@]}"; do [[ -e "$out/$f" ]] || missing=1; done
if [[ $missing == 0 && $force == 0 ]]; then
  echo "testdata/packages is up to date (use --force to rebuild)"; exit 0
fi

work=$(mktemp -d /tmp/driftgate-packages.XXXXXX)
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- dpkg (inside the Debian image)
docker image inspect "$image" >/dev/null 2>&1 || bash scripts/debian-base-image.sh "$image"
# The script runs in the container; it prints one tar of everything we keep on stdout.
docker run --rm -i --network none "$image" bash -s -- "${lists[*]}" "${distroless[*]}" >"$work/dpkg.tar" <<'IN_CONTAINER'
set -euo pipefail
lists=($1); distroless=($2)
b=/tmp/debs; mkdir -p $b
deb() { # name arch multiarch(yes|no) conffile(yes|no); files come from $b/$name-$arch/
  local root=$b/$1-$2
  mkdir -p $root/DEBIAN
  { echo "Package: $1"; echo "Version: ${VERSION}"; echo "Architecture: $2"
    [[ $3 == yes ]] && echo "Multi-Arch: same"
    echo "Maintainer: driftgate tests <tests@driftgate.invalid>"
    echo "Description: tiny package for driftgate's package-ownership tests"
    echo " A continuation line, so the status stanza has a multi-line field."
    echo " ."
    echo " And one after an empty continuation line."; } >$root/DEBIAN/control
  [[ $4 == yes ]] && find $root/etc -type f | sed "s|^$root||" >$root/DEBIAN/conffiles
  dpkg-deb --root-owner-group --build $root $b/$1_$2.deb >/dev/null
}
for arch in amd64 i386; do
  triplet=$([[ $arch == amd64 ]] && echo x86_64-linux-gnu || echo i386-linux-gnu)
  r=$b/libdriftgate1-$arch
  mkdir -p $r/usr/lib/$triplet $r/usr/share/doc/libdriftgate1
  echo "libdriftgate $arch" >$r/usr/lib/$triplet/libdriftgate.so.1
  echo "same bytes for every architecture (Multi-Arch: same)" >$r/usr/share/doc/libdriftgate1/copyright
  VERSION=1.0-1 deb libdriftgate1 $arch yes no
done
r=$b/driftgate-tools-amd64
mkdir -p $r/usr/bin "$r/usr/share/driftgate-tools"
printf '#!/bin/sh\necho driftgate\n' >$r/usr/bin/driftgate-tool; chmod 755 $r/usr/bin/driftgate-tool
echo data >"$r/usr/share/driftgate-tools/name with spaces.txt"
VERSION=2:3.4~rc1-0+deb12u1 deb driftgate-tools amd64 no no
r=$b/driftgate-conf-all
mkdir -p $r/etc $r/usr/share/driftgate-conf
echo 'setting = 1' >$r/etc/driftgate.conf
echo data >$r/usr/share/driftgate-conf/defaults
VERSION=0.1 deb driftgate-conf all no yes

dpkg --add-architecture i386
dpkg -i $b/libdriftgate1_amd64.deb $b/libdriftgate1_i386.deb $b/driftgate-tools_amd64.deb $b/driftgate-conf_all.deb >/dev/null
dpkg -r driftgate-conf >/dev/null

k=/tmp/keep; mkdir -p $k/dpkg/info $k/distroless/status.d
cp /var/lib/dpkg/status $k/dpkg/status
for l in "${lists[@]}"; do cp "/var/lib/dpkg/info/$l.list" "$k/dpkg/info/$l.list"; done
dpkg-query -W -f '${binary:Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n' | sort >$k/dpkg/dpkg-query.tsv
dpkg-query -S /usr/bin/dpkg /bin/bash /bin/sh /usr/bin/bashbug /usr/share/doc/libdriftgate1/copyright \
  /usr/lib/i386-linux-gnu/libdriftgate.so.1 "/usr/share/driftgate-tools/name with spaces.txt" | sort >$k/dpkg/dpkg-S.txt
for p in "${distroless[@]}"; do
  # The stanza, as distroless's control file: status's stanza without its Status line.
  awk -v p="$p" '/^Package: /{on=($2==p)} on&&/^$/{exit} on&&!/^Status: /' /var/lib/dpkg/status >$k/distroless/status.d/$p
  md5=/var/lib/dpkg/info/$p.md5sums; [[ -e $md5 ]] || md5=$(ls /var/lib/dpkg/info/$p:*.md5sums)
  cp "$md5" $k/distroless/status.d/$p.md5sums
done
tar -C $k -cf - .
IN_CONTAINER
mkdir -p "$work/dpkg-out"
tar -C "$work/dpkg-out" -xf "$work/dpkg.tar"

# ---------------------------------------------------------------- rpm (Debian's rpm on this machine)
if ! command -v rpmbuild >/dev/null || ! command -v rpm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm >/dev/null
fi
top="$work/rpmbuild"; mkdir -p "$top"/{SPECS,RPMS,BUILD,BUILDROOT} "$work/rpm-out"
cat >"$top/SPECS/driftgate-hello.spec" <<'SPEC'
Name:           driftgate-hello
Version:        1.2.3
Release:        4.dg1
Summary:        Tiny package for driftgate's package-ownership tests
License:        Apache-2.0
BuildArch:      noarch
Requires:       driftgate-lib(api) >= 0.9
Requires:       /usr/lib64/libdriftgate.so.0.9
Requires:       libdriftgate >= 2:0.9
Requires(post): /bin/sh
Conflicts:      driftgate-hello-legacy
Recommends:     driftgate-hello-extras
%description
A shell script, a config file and a directory the package owns.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc %{buildroot}/usr/share/driftgate-hello
printf '#!/bin/sh\necho hello\n' > %{buildroot}/usr/bin/driftgate-hello
echo 'greeting = hello' > %{buildroot}/etc/driftgate-hello.conf
echo data > "%{buildroot}/usr/share/driftgate-hello/name with spaces.txt"
ln -s driftgate-hello %{buildroot}/usr/bin/dg-hello
%files
%attr(0755,root,root) /usr/bin/driftgate-hello
/usr/bin/dg-hello
%config(noreplace) /etc/driftgate-hello.conf
%dir /usr/share/driftgate-hello
"/usr/share/driftgate-hello/name with spaces.txt"
SPEC
cat >"$top/SPECS/libdriftgate.spec" <<'SPEC'
Name:           libdriftgate
Epoch:          2
Version:        0.9
Release:        1
Summary:        Tiny library package for driftgate's package-ownership tests
License:        Apache-2.0
Provides:       driftgate-lib(api) = 0.9
%global debug_package %{nil}
%description
A file in /usr/lib64, with an epoch and the machine's architecture.
%install
mkdir -p %{buildroot}/usr/lib64
echo libdriftgate > %{buildroot}/usr/lib64/libdriftgate.so.0.9
ln -s libdriftgate.so.0.9 %{buildroot}/usr/lib64/libdriftgate.so.0
%files
/usr/lib64/libdriftgate.so.0.9
/usr/lib64/libdriftgate.so.0
SPEC
rpmdefs=(--define "_topdir $top" --define '_db_backend sqlite' --define '__os_install_post %{nil}'
  --define '_build_id_links none')
for s in driftgate-hello libdriftgate; do
  rpmbuild "${rpmdefs[@]}" -bb "$top/SPECS/$s.spec" >"$work/rpmbuild-$s.log" 2>&1 \
    || { tail -n 20 "$work/rpmbuild-$s.log" >&2; exit 1; }
done
db="$work/rpmdb"; mkdir -p "$db"
rpm "${rpmdefs[@]}" --dbpath "$db" --initdb
rpm "${rpmdefs[@]}" --dbpath "$db" -i --justdb --nodeps --ignoreos "$top"/RPMS/*/*.rpm
rpm "${rpmdefs[@]}" --dbpath "$db" -qa --qf '%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n' | sort >"$work/rpm-out/rpm-qa.tsv"
rpm "${rpmdefs[@]}" --dbpath "$db" -qa --qf '[%{=NAME}\t%{FILEMODES:perms}\t%{FILENAMES}\n]' | sort >"$work/rpm-out/rpm-ql.txt"
rpm "${rpmdefs[@]}" --dbpath "$db" -qa --qf '[%{=NAME}\t%{REQUIRENAME}\t%{REQUIREFLAGS}\n]' | sort >"$work/rpm-out/rpm-requires.tsv"
rpm "${rpmdefs[@]}" --dbpath "$db" -qa --qf '[%{=NAME}\t%{PROVIDENAME}\n]' | sort >"$work/rpm-out/rpm-provides.tsv"
for p in driftgate-hello libdriftgate; do
  rpm "${rpmdefs[@]}" --dbpath "$db" -q --whatrequires "$p" --qf "$p\t%{NAME}\n" 2>/dev/null || true
done | grep -v 'no package requires' | sort >"$work/rpm-out/rpm-whatrequires.tsv"
# Make sure what we commit is a self-contained sqlite file (no -wal/-shm beside it holding data).
[[ ! -s "$db/rpmdb.sqlite-wal" ]] || { echo "rpmdb has a non-empty WAL" >&2; exit 1; }
cp "$db/rpmdb.sqlite" "$work/rpm-out/rpmdb.sqlite"
cp "$top/SPECS/"*.spec "$work/rpm-out/"

# ---------------------------------------------------------------- install the outputs
rm -rf "$out/dpkg" "$out/distroless" "$out/rpm"
mkdir -p "$out"
cp -r "$work/dpkg-out/dpkg" "$work/dpkg-out/distroless" "$out/"
cp -r "$work/rpm-out" "$out/rpm"
echo "wrote $out/{dpkg,distroless,rpm}"
