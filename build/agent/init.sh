#!/bin/sh
# /init of the Dragonfly agent boot image: PID 1, busybox sh.
# Mounts the kernel file systems, loads drivers for the hardware present (by modalias),
# brings up the boot NIC with DHCP and runs the agent (restarting it if it ever stops).
export PATH=/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
say() { echo "dragonfly-init: $* (at $(cut -d' ' -f1 /proc/uptime) s)"; }
say "agent image, kernel $(uname -r)"
ip link set lo up

# Drivers: every device on every bus names the module it wants in its modalias; loading
# one (virtio_pci, ahci) adds devices on another bus (virtio, scsi), so repeat until no
# new devices appear. -b honours blacklists given as modprobe.blacklist= on the cmdline.
seen=""
for pass in 1 2 3 4 5; do
  aliases=$(cat /sys/bus/*/devices/*/modalias 2>/dev/null | sort -u)
  [ "$aliases" = "$seen" ] && break
  seen=$aliases
  echo "$aliases" | xargs modprobe -a -b -q 2>/dev/null
done
modprobe -q sd_mod 2>/dev/null # SCSI disks are found asynchronously, after the loop may have ended
# File systems have no modalias: load the ones writefile mounts (ESP, root) by name.
modprobe -a -q vfat ext4 nls_cp437 nls_ascii nls_utf8 nls_iso8859_1 2>/dev/null
# efivarfs is a module in Debian's kernel, so it can be mounted only now (mounted earlier, the
# mount failed silently and the agent saw no SecureBoot variable); the agent reads it for the
# secureBoot fact.
modprobe -q efivarfs 2>/dev/null
[ -d /sys/firmware/efi/efivars ] && mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
say "drivers loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

# The boot NIC: the one whose MAC the control plane put on the cmdline, else the first with carrier.
want=$(sed -n 's/.*dragonfly\.mac=\([0-9a-fA-F:-]*\).*/\1/p' /proc/cmdline | tr 'A-F-' 'a-f:')
physical_nics() { for d in /sys/class/net/*; do [ -e "$d/device" ] && echo "${d##*/}"; done; }
pick_nic() {
  for n in $(physical_nics); do [ "$(cat /sys/class/net/$n/address)" = "$want" ] && { echo "$n"; return; }; done
  for n in $(physical_nics); do [ "$(cat /sys/class/net/$n/carrier 2>/dev/null)" = 1 ] && { echo "$n"; return; }; done
}
nic=""
for i in $(seq 1 40); do
  for n in $(physical_nics); do ip link set "$n" up 2>/dev/null; done
  nic=$(pick_nic)
  [ -n "$nic" ] && break
  sleep 0.5
done
if [ -z "$nic" ]; then
  say "no network interface with MAC $want and none with a link; interfaces: $(ls /sys/class/net | tr '\n' ' ')"
else
  say "boot NIC $nic ($(cat /sys/class/net/$nic/address)); asking DHCP"
  # Stays in the background after the lease to renew it; retries for ever until it gets one.
  udhcpc -i "$nic" -s /etc/udhcpc.script -V dragonfly-agent -t 5 -T 2 -A 3 -p /run/udhcpc.pid
fi

if [ ! -x /bin/node ]; then
  # Reference image for benchmarks (build-image.mjs --reference): register once with busybox wget, power off.
  arg() { sed -n "s/.*dragonfly\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
  say "reference image: registering with wget"
  wget -q -O - --header "Authorization: Bearer $(arg token)" --header 'Content-Type: application/json' \
    --post-data "{\"mac\":\"$want\",\"facts\":null}" "$(arg url)/api/agent/v1/register"
  echo
  poweroff -f
fi

while true; do
  node /agent/agent.js
  rc=$?
  if [ "$rc" = 2 ]; then
    say "the kernel command line lacks what the agent needs; starting a shell on the console"
    setsid cttyhack sh
  fi
  say "agent exited with status $rc; restarting in 5 s"
  sleep 5
done
