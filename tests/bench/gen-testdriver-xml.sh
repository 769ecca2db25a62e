#!/usr/bin/env bash
# Writes a libvirt test-driver node file (<node> with N <domain>s) for
# scale tests and benchmarks that need no libvirtd:
#
#   gen-testdriver-xml.sh [--awkward] [--stopped K] N OUT
#   virsh -c "test://$(realpath OUT)" list --all
#
# Each domain has a distinct name (vm-00001...), UUID and MAC, 2 vCPUs,
# 256 MiB, one virtio disk (vda), one interface and a virtio memballoon (so
# that the test driver answers MemoryStats). All run, except the last K
# with --stopped K, which are shut off (test:runstate 5).
#
# --awkward gives the first domains names that a label escaper must get
# right, in this order (N must be at least 6):
#   1  vm "quoted"          double quotes and spaces
#   2  vm\back\slash        backslashes (one before a letter that is no escape)
#   3  vm<newline>line2     a newline
#   4  vm-ünïcødé-虚拟机     UTF-8, two and three bytes
#   5  vm a&b<c>'d          XML specials (escaped in the file)
#   6  vm \"mix\n"          a backslash before a quote and before an n
# The exposition must print them, in label values, as
#   vm \"quoted\"   vm\\back\\slash   vm\nline2   vm-ünïcødé-虚拟机
#   vm a&b<c>'d   vm \\\"mix\\n\"
set -eu

usage() {
	echo "usage: $0 [--awkward] [--stopped K] N OUT" >&2
	exit 2
}

awkward=0
stopped=0
while [ $# -gt 0 ]; do
	case $1 in
	--awkward) awkward=1 ;;
	--stopped)
		[ $# -ge 2 ] || usage
		stopped=$2
		shift
		;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 2 ] || usage
n=$1
out=$2
case $n in '' | *[!0-9]*) usage ;; esac
case $stopped in '' | *[!0-9]*) usage ;; esac
if [ "$n" -lt 1 ] || [ "$n" -gt 99999 ]; then
	echo "$0: N must be 1..99999" >&2
	exit 2
fi
[ "$stopped" -le "$n" ] || { echo "$0: --stopped K must be at most N" >&2; exit 2; }
if [ "$awkward" = 1 ] && [ "$n" -lt 6 ]; then
	echo "$0: --awkward needs N >= 6" >&2
	exit 2
fi

# Names as they go into the XML (element content: &, < and > escaped).
awkward_xml=(
	'vm "quoted"'
	'vm\back\slash'
	$'vm\nline2'
	'vm-ünïcødé-虚拟机'
	"vm a&amp;b&lt;c&gt;'d"
	'vm \"mix\n"'
)

tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT

{
	printf '<?xml version="1.0" encoding="UTF-8"?>\n'
	printf '<node>\n'
	printf '  <cpu><mhz>2000</mhz><model>virtmeter-bench</model><active>2</active>'
	printf '<nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>\n'
	printf '  <memory>16777216</memory>\n'
	for ((i = 1; i <= n; i++)); do
		if [ "$awkward" = 1 ] && [ "$i" -le ${#awkward_xml[@]} ]; then
			name=${awkward_xml[$((i - 1))]}
		else
			printf -v name 'vm-%05d' "$i"
		fi
		printf -v uuid '%08x-7669-4d74-8000-%012x' "$i" "$i"
		printf -v mac '52:54:00:%02x:%02x:%02x' $(((i >> 16) & 255)) $(((i >> 8) & 255)) $((i & 255))
		if [ "$i" -gt $((n - stopped)) ]; then
			printf "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n"
			printf '    <test:runstate>5</test:runstate>\n'
		else
			printf "  <domain type='test'>\n"
		fi
		printf '    <name>%s</name>\n' "$name"
		printf '    <uuid>%s</uuid>\n' "$uuid"
		printf "    <memory unit='KiB'>262144</memory>\n"
		printf "    <currentMemory unit='KiB'>262144</currentMemory>\n"
		printf "    <vcpu placement='static'>2</vcpu>\n"
		printf "    <os><type arch='x86_64'>hvm</type></os>\n"
		printf '    <devices>\n'
		printf "      <disk type='file' device='disk'>\n"
		printf "        <source file='/guest/disk-%05d.img'/>\n" "$i"
		printf "        <target dev='vda' bus='virtio'/>\n"
		printf '      </disk>\n'
		printf "      <interface type='ethernet'>\n"
		printf "        <mac address='%s'/>\n" "$mac"
		printf "        <target dev='vnet%d'/>\n" "$((i - 1))"
		printf "        <model type='virtio'/>\n"
		printf '      </interface>\n'
		printf "      <memballoon model='virtio'/>\n"
		printf '    </devices>\n'
		printf '  </domain>\n'
	done
	printf '</node>\n'
} >"$tmp"
mv -f "$tmp" "$out"
trap - EXIT
