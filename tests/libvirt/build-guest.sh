#!/usr/bin/env bash
# Build the tiny test guest for the libvirt integration tests: a Debian
# kernel (direct kernel boot, never installed on the host) and a busybox
# initramfs whose /init loads the virtio modules and then loops forever doing
# a little CPU, disk and network work, printing a heartbeat to the console.
#
# Usage: build-guest.sh [CACHE_DIR]
#   CACHE_DIR defaults to /var/lib/libvirt/images/virtmeter-test.
#   Writes CACHE_DIR/vmlinuz, CACHE_DIR/initrd.gz and CACHE_DIR/kernel-version.
#   Cached: does nothing when both outputs exist and are newer than this
#   script. Set VIRTMETER_GUEST_REBUILD=1 to force a rebuild.
#
# Needs root (apt-get install of libvirt-daemon-system qemu-system-x86
# busybox-static cpio xz-utils when missing) and Debian's apt, nothing else
# from the network.
#
# Exit status: 0 built or cached, 1 error (message on stderr).
set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
CACHE_DIR=${1:-/var/lib/libvirt/images/virtmeter-test}
PACKAGES="libvirt-daemon-system qemu-system-x86 busybox-static cpio xz-utils"
# Load order matters: each module's dependencies come before it.
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_balloon virtio_blk failover net_failover virtio_net"

die() { echo "build-guest: error: $*" >&2; exit 1; }
note() { echo "build-guest: $*" >&2; }

if [ -z "${VIRTMETER_GUEST_REBUILD:-}" ] &&
	[ "$CACHE_DIR/vmlinuz" -nt "$SCRIPT" ] && [ "$CACHE_DIR/initrd.gz" -nt "$SCRIPT" ]; then
	note "cached: $CACHE_DIR/vmlinuz $CACHE_DIR/initrd.gz ($(cat "$CACHE_DIR/kernel-version" 2>/dev/null || echo '?'))"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, writes $CACHE_DIR)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script needs Debian"

# apt-get update only when the package lists are empty (or a look-up fails).
APT_UPDATED=0
apt_update() {
	[ $APT_UPDATED -eq 1 ] && return 0
	note "apt-get update"
	timeout 300 apt-get update -qq || die "apt-get update failed"
	APT_UPDATED=1
}
apt_lists_empty() {
	! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *" installed") ;; *) missing="$missing $p" ;; esac
done
if [ -n "$missing" ]; then
	if apt_lists_empty; then apt_update; fi
	note "installing:$missing"
	# shellcheck disable=SC2086
	if ! DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
		apt_update
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
			die "apt-get install$missing failed"
	fi
fi
[ -x /bin/busybox ] || die "/bin/busybox missing after installing busybox-static"
if ldd /bin/busybox >/dev/null 2>&1; then
	die "/bin/busybox is dynamically linked (the busybox package, not busybox-static?)"
fi

# Kernel package: linux-image-amd64 depends on linux-image-6.1.0-NN-amd64.
kpkg_of_meta() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}
if apt_lists_empty; then apt_update; fi
KPKG=$(kpkg_of_meta)
if [ -z "$KPKG" ]; then
	apt_update
	KPKG=$(kpkg_of_meta)
fi
[ -n "$KPKG" ] || die "cannot find the kernel package: 'apt-cache depends linux-image-amd64' names no linux-image-*-amd64"
KVER=${KPKG#linux-image-}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/virtmeter-guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"

note "downloading $KPKG"
# apt-get download runs as _apt when it can write the directory.
mkdir "$WORK/deb"
chown _apt "$WORK/deb" 2>/dev/null || true
if ! (cd "$WORK/deb" && timeout 600 apt-get download -qq "$KPKG" >/dev/null 2>"$WORK/dl.err"); then
	apt_update
	(cd "$WORK/deb" && timeout 600 apt-get download -qq "$KPKG" >/dev/null 2>"$WORK/dl.err") ||
		die "apt-get download $KPKG failed: $(cat "$WORK/dl.err")"
fi
DEB=$(ls "$WORK"/deb/*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || die "apt-get download $KPKG produced no .deb"
dpkg -x "$DEB" "$WORK/kernel" || die "dpkg -x $DEB failed"

VMLINUZ="$WORK/kernel/boot/vmlinuz-$KVER"
[ -f "$VMLINUZ" ] || VMLINUZ=$(ls "$WORK"/kernel/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$VMLINUZ" ] && [ -f "$VMLINUZ" ] || die "no /boot/vmlinuz-* in $KPKG"
MODDIR="$WORK/kernel/lib/modules/$KVER"
[ -d "$MODDIR" ] || MODDIR=$(ls -d "$WORK"/kernel/lib/modules/* 2>/dev/null | head -n 1)
[ -n "$MODDIR" ] && [ -d "$MODDIR" ] || die "no /lib/modules/* in $KPKG"

# The initramfs tree.
ROOT="$WORK/root"
mkdir -p "$ROOT"/bin "$ROOT"/dev "$ROOT"/proc "$ROOT"/sys "$ROOT"/tmp "$ROOT"/lib/modules
cp /bin/busybox "$ROOT/bin/busybox"
for applet in $("$ROOT/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$ROOT/bin/$applet"
done
[ -e "$ROOT/bin/sh" ] || die "busybox has no sh applet"

# Modules: built-in ones are skipped, others copied uncompressed (busybox
# insmod reads plain ELF only) and listed in load order in /lib/modules/order.
: >"$ROOT/lib/modules/order"
for m in $MODULES; do
	alt=$(echo "$m" | tr _ -)
	if grep -qE "/($m|$alt)\.ko\$" "$MODDIR/modules.builtin" 2>/dev/null; then
		note "module $m: built into the kernel"
		continue
	fi
	f=$(find "$MODDIR/kernel" \( -name "$m.ko" -o -name "$m.ko.*" -o -name "$alt.ko" -o -name "$alt.ko.*" \) 2>/dev/null | head -n 1)
	[ -n "$f" ] || die "module $m: neither a module nor built into $KVER"
	case "$f" in
	*.ko) cp "$f" "$ROOT/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$ROOT/lib/modules/$m.ko" || die "xz -d $f failed" ;;
	*.ko.gz) gzip -dc "$f" >"$ROOT/lib/modules/$m.ko" || die "gzip -d $f failed" ;;
	*.ko.zst)
		command -v zstd >/dev/null 2>&1 || die "module $m is zstd-compressed and zstd is not installed"
		zstd -qdc "$f" >"$ROOT/lib/modules/$m.ko" || die "zstd -d $f failed"
		;;
	*) die "module $m: unknown file type $f" ;;
	esac
	echo "$m" >>"$ROOT/lib/modules/order"
done

cat >"$ROOT/init" <<'INIT'
#!/bin/sh
# virtmeter test guest: load virtio drivers, then a bounded amount of CPU,
# disk and network work every few seconds, forever, with a heartbeat line.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo "virtmeter-guest: init, kernel $(uname -r)"
for m in $(cat /lib/modules/order); do
	insmod "/lib/modules/$m.ko" || echo "virtmeter-guest: insmod $m failed"
done
echo "virtmeter-guest: modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

# Wait (bounded) for the virtio devices to show up.
i=0
while [ $i -lt 50 ] && [ ! -b /dev/vda ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/vda ] && echo "virtmeter-guest: disk /dev/vda" || echo "virtmeter-guest: no /dev/vda"
# O_DIRECT if this busybox dd knows it; otherwise sync writes and cache drops.
DIRECT_IN="" DIRECT_OUT="conv=fsync"
if [ -b /dev/vda ] && dd if=/dev/vda of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null; then
	DIRECT_IN="iflag=direct" DIRECT_OUT="oflag=direct conv=fsync"
fi

# Network: an address in 169.254.0.0/16 and a permanent neighbour entry for a
# peer that does not exist, so that pings leave eth0 without waiting for ARP.
NET=0
if [ -e /sys/class/net/eth0 ]; then
	ip link set lo up
	ip link set eth0 up && ip addr add 169.254.77.2/16 dev eth0 && NET=1
	arp -i eth0 -s 169.254.77.1 02:00:00:00:77:01 2>/dev/null ||
		ip neigh replace 169.254.77.1 lladdr 02:00:00:00:77:01 dev eth0 nud permanent 2>/dev/null ||
		echo "virtmeter-guest: no static neighbour (pings will send ARP requests)"
	echo "virtmeter-guest: eth0 up=$NET"
else
	echo "virtmeter-guest: no eth0"
fi

n=0
while :; do
	n=$((n + 1))
	# CPU: a short arithmetic loop.
	i=0 s=0
	while [ $i -lt 2000 ]; do s=$(((s + i * 7) % 65521)); i=$((i + 1)); done
	# Disk: write then read back 2 MiB at an offset that moves each round.
	if [ -b /dev/vda ]; then
		off=$(((n % 16) * 32))
		dd if=/dev/zero of=/dev/vda bs=64k count=32 seek=$off $DIRECT_OUT 2>/dev/null
		[ -z "$DIRECT_IN" ] && echo 1 >/proc/sys/vm/drop_caches
		dd if=/dev/vda of=/dev/null bs=64k count=32 skip=$off $DIRECT_IN 2>/dev/null
	fi
	# Network: a few ICMP packets out of eth0 (nobody answers).
	[ $NET -eq 1 ] && ping -c 3 -i 0.2 -W 1 -s 200 169.254.77.1 >/dev/null 2>&1
	echo "virtmeter-guest alive $n"
	sleep 3
done
INIT
chmod 755 "$ROOT/init"

mkdir -p "$CACHE_DIR"
chmod 755 "$CACHE_DIR"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -9) >"$WORK/initrd.gz" ||
	die "cpio/gzip of the initramfs failed"
cp "$VMLINUZ" "$WORK/vmlinuz"
install -m 0644 "$WORK/vmlinuz" "$CACHE_DIR/vmlinuz.new"
install -m 0644 "$WORK/initrd.gz" "$CACHE_DIR/initrd.gz.new"
mv -f "$CACHE_DIR/vmlinuz.new" "$CACHE_DIR/vmlinuz"
mv -f "$CACHE_DIR/initrd.gz.new" "$CACHE_DIR/initrd.gz"
echo "$KVER" >"$CACHE_DIR/kernel-version"
note "built $CACHE_DIR/vmlinuz ($KVER) and $CACHE_DIR/initrd.gz ($(wc -c <"$CACHE_DIR/initrd.gz") bytes; modules: $(tr '\n' ' ' <"$ROOT/lib/modules/order"))"
