# Sourced by Scripts/test.sh and Scripts/profile.sh: installs what building and profiling need
# when it is missing — perf (linux-perf) and the libffi headers (libffi-dev, for the ffi backend)
# — with apt-get when running as root, otherwise says what to install. With `--native`, also
# what the template tests need on x86_64 hosts: the aarch64 cross compiler and qemu-user.
ensure_dependencies() {
    local missing=()
    if [ "${1:-}" = --native ] && [ "$(uname -m)" = x86_64 ]; then
        command -v qemu-aarch64 >/dev/null 2>&1 || missing+=(qemu-user)
        command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu)
        [ -e /usr/aarch64-linux-gnu/include/stdio.h ] || missing+=(libc6-dev-arm64-cross)
    fi
    if ! command -v perf >/dev/null 2>&1 || ! perf --version >/dev/null 2>&1; then missing+=(linux-perf); fi
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)  # C hosts build against the installed .pc files
    if [ ! -e /usr/include/ffi.h ] && ! compgen -G '/usr/include/*/ffi.h' >/dev/null; then missing+=(libffi-dev); fi
    ((${#missing[@]})) || return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "error: missing ${missing[*]}; install them (Debian/Ubuntu: apt-get install -y ${missing[*]})" >&2
        return 1
    fi
}
