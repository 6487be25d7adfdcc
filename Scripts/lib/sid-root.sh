# Sourced by Scripts/other-stacks.sh: a Debian sid root, the stack a user installing today's
# Debian packages gets: perf 7 (linux-perf, unwinding with libdw; upstream deprecated
# libunwind) and Swift 6.2 (swiftlang). Built once with mmdebstrap (about a minute here, a
# few hundred MB downloaded) and reused while its package list is unchanged.
#
#   sid_root_ensure ROOT          build ROOT unless it is complete for this package list
#   sid_perf_wrapper ROOT OUT     write OUT: runs ROOT's perf on this system's files
#   sid_chroot ROOT COMMAND...    run COMMAND inside ROOT with /proc, /sys, /dev and the
#                                 machine's Swift package mirror mounted
#   sid_copy_checkout ROOT NAME   copy this checkout (tracked and new files, not .build*) to
#                                 ROOT/work/NAME

# What the whole test command needs inside the root (Scripts/test.sh, without sanitizers):
# perf, Swift (its clang too), libffi for the ffi backend, gcc/make/patch/dpkg-dev for the
# Lua build, the aarch64 cross compiler and qemu for the template tests, unshare for the pid
# namespace test.
SID_PACKAGES=(linux-perf swiftlang libffi-dev libc6-dev g++ pkg-config python3 git ca-certificates gcc make patch
              dpkg-dev xz-utils util-linux procps qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross)

sid_root_ensure() {
    local root="$1"
    local stamp="$root/.perftrampoline-root"
    local want="${SID_PACKAGES[*]}"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        echo "==> Debian sid root: reusing $root"
        return 0
    fi
    command -v mmdebstrap >/dev/null 2>&1 || {
        echo "==> installing mmdebstrap"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
    }
    echo "==> Debian sid root: mmdebstrap into $root (${SID_PACKAGES[*]})"
    rm -rf "$root"
    mkdir -p "$(dirname "$root")"
    local packages
    packages="$(IFS=,; echo "${SID_PACKAGES[*]}")"
    # sid's Release file is sometimes past its Valid-Until; the packages are still signed.
    mmdebstrap --quiet --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
        --include="$packages" sid "$root" http://deb.debian.org/debian
    echo "$want" > "$stamp"
}

# perf 7 run from the root's own loader and libraries, on this system's files: perf record
# starts this system's programs, and perf script reads their binaries at their real paths.
# addr2line.style=libdw: perf 7 otherwise falls back to this system's older binutils
# addr2line, whose output it rejects ("addr2line configuration failed") and then dies of
# SIGPIPE in perf inject; inside the root that does not happen (sid's binutils).
sid_perf_wrapper() {
    local root="$1" out="$2"
    local config="$out.config"
    printf '[addr2line]\n\tstyle = libdw\n' > "$config"
    cat > "$out" <<EOF
#!/bin/sh
# Debian sid's perf (written by Scripts/lib/sid-root.sh).
PERF_CONFIG='$config' exec '$root/lib64/ld-linux-x86-64.so.2' \\
    --library-path '$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu' '$root/usr/bin/perf' "\$@"
EOF
    chmod +x "$out"
    "$out" --version
}

sid_chroot() {
    local root="$1"
    shift
    local mounts=()
    sid_mount() {  # SOURCE TARGET [mount options...]
        local source="$1" target="$root$2"
        shift 2
        mkdir -p "$target"
        mount "$@" "$source" "$target"
        mounts=("$target" "${mounts[@]}")
    }
    # The root bound onto itself: inside, / is then a mount point, which `unshare --mount-proc`
    # (PidNamespaceTests) needs to change its propagation.
    sid_mount "$root" / --bind
    sid_mount proc /proc -t proc
    sid_mount sysfs /sys -t sysfs
    sid_mount /dev /dev --rbind
    # A /tmp of its own for each session: perf maps and dumps of killed processes would stay
    # from run to run otherwise, and pids wrap (pid_max 32768): a test would take a stale
    # /tmp/perf-PID.map of an earlier run for its process's.
    sid_mount tmpfs /tmp -t tmpfs -o mode=1777
    # SwiftPM resolves https://github.com/... through this machine's package mirror.
    if [ -d /opt/swift-packages ]; then
        sid_mount /opt/swift-packages /opt/swift-packages --bind -o ro
        git config --file "$root/etc/gitconfig" --replace-all url./opt/swift-packages/.insteadOf https://github.com/
    fi
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    local status=0
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@" || status=$?
    local target
    for target in "${mounts[@]}"; do umount -R "$target" 2>/dev/null || umount -l "$target"; done
    return "$status"
}

sid_copy_checkout() {
    local root="$1" name="$2"
    echo "==> copy of the checkout into $root/work/$name"
    rm -rf "${root:?}/work/$name"
    mkdir -p "$root/work/$name"
    git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - | tar -xf - -C "$root/work/$name"
}
