#!/usr/bin/env bash
# Installs the Debian packages the emulator harness (and the headless
# browser the report test uses) need, when missing.
# Idempotent and quiet when everything is there; run as root (these
# machines are), with apt-get update once before the first install.
set -euo pipefail
need=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
for tool in gcc ld objcopy make; do
  command -v "$tool" >/dev/null 2>&1 || need+=(build-essential)
done
# Bochs (qemu/bochs.ts): the emulator with its rfb display (in the bochs
# package itself: no X server), its BIOS and the VGA BIOS, and what
# grub-mkrescue needs to make the ISO it boots from. The bochs package needs
# one display package besides; bochs-term, named with it, is the smallest
# (ncurses), where apt would otherwise choose bochs-wx and wxWidgets.
if [ ! -x /usr/bin/bochs-bin ] || [ ! -e /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_rfb_gui.so ]; then
  need+=(bochs bochs-term)
fi
[ -e /usr/share/bochs/BIOS-bochs-latest ] || need+=(bochsbios)
[ -e /usr/share/vgabios/vgabios.bin ] || need+=(vgabios)
{ command -v grub-mkrescue >/dev/null 2>&1 && [ -d /usr/lib/grub/i386-pc ]; } || need+=(grub-pc-bin)
command -v xorriso >/dev/null 2>&1 || need+=(xorriso)
command -v mformat >/dev/null 2>&1 || need+=(mtools)
# Chromium, headless: the test of bfx conformance --report loads the page
# in a real browser and reads the DOM it built (test/cli/conformance-report.test.ts).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
echo "qemu/deps.sh: installing ${need[*]} …" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "qemu/deps.sh: need root to install ${need[*]} (sudo apt-get install ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "qemu/deps.sh: installed ${need[*]}" >&2
