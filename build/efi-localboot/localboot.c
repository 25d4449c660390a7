/*
 * dragonfly-localboot.efi: the boot file a provisioned x64 UEFI machine (Secure Boot off,
 * fate "local") gets over the network instead of iPXE (issue 16 part 3, docs/BENCHMARKS.md).
 * It starts the installed disk's own loader through the firmware, with no network stack of
 * its own, so a machine whose firmware tries the NIC first reaches its OS without iPXE's
 * start-up. If no disk loader starts, or one returns, it says so in one line and returns an
 * error: the firmware then goes on to its next boot option, as after iPXE's `exit 1`.
 *
 * Order tried: the firmware's BootOrder entries that name a file on a disk partition (what
 * an OS installer registered, e.g. \EFI\debian\shimx64.efi), then the removable-media path
 * \EFI\BOOT\BOOTX64.EFI on every file-system volume but the one this file came from; if
 * none starts, the same again after connecting every device (a firmware may not have).
 */
#include <efi.h>
#include <efilib.h>

#define REMOVABLE_LOADER L"\\EFI\\BOOT\\BOOTX64.EFI"

/* What one attempt at a loader came to. */
typedef enum { NOT_STARTED, RETURNED } Outcome;

/* The firmware rejects freeing NULL; every lookup here may have found nothing. */
static void release(VOID *p) {
  if (p) FreePool(p);
}

/* The hard-drive (partition) node of a device path, or NULL. */
static HARDDRIVE_DEVICE_PATH *partition_node(EFI_DEVICE_PATH *dp) {
  for (; dp && !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp)) {
    if (DevicePathType(dp) == MEDIA_DEVICE_PATH && DevicePathSubType(dp) == MEDIA_HARDDRIVE_DP)
      return (HARDDRIVE_DEVICE_PATH *)dp;
  }
  return NULL;
}

/* Same partition: same signature (GPT GUID or MBR id) and number; nodes may be unaligned. */
static BOOLEAN same_partition(HARDDRIVE_DEVICE_PATH *a, HARDDRIVE_DEVICE_PATH *b) {
  UINT32 na, nb;
  CopyMem(&na, &a->PartitionNumber, sizeof na);
  CopyMem(&nb, &b->PartitionNumber, sizeof nb);
  return na == nb && a->SignatureType == b->SignatureType && CompareMem(a->Signature, b->Signature, sizeof a->Signature) == 0;
}

/* Loads and starts the image at `path`; NOT_STARTED if the firmware could not load it. */
static Outcome start(EFI_HANDLE self, EFI_DEVICE_PATH *path, CHAR16 *what) {
  EFI_HANDLE image = NULL;
  EFI_STATUS s = uefi_call_wrapper(BS->LoadImage, 6, FALSE, self, path, NULL, 0, &image);
  if (EFI_ERROR(s)) return NOT_STARTED;
  Print(L"dragonfly-localboot: starting %s\n", what);
  s = uefi_call_wrapper(BS->StartImage, 3, image, NULL, NULL);
  Print(L"dragonfly-localboot: %s returned (%r)\n", what, s);
  return RETURNED;
}

/* The file-system handles (their count in *n); NULL when there are none. */
static EFI_HANDLE *volumes(UINTN *n) {
  EFI_HANDLE *handles = NULL;
  *n = 0;
  if (EFI_ERROR(LibLocateHandle(ByProtocol, &FileSystemProtocol, NULL, n, &handles))) return NULL;
  return handles;
}

/*
 * One Boot#### option, if it names a file on a partition (short form HD(...)/File(...) as
 * installers write it, or a full path): started on the volume holding that partition.
 */
static Outcome try_boot_option(EFI_HANDLE self, EFI_HANDLE own, UINT16 number, EFI_HANDLE *vols, UINTN nvols) {
  CHAR16 name[9];
  UINTN size = 0;
  SPrint(name, sizeof name, L"Boot%04x", number);
  UINT8 *opt = LibGetVariableAndSize(name, &EfiGlobalVariable, &size);
  Outcome out = NOT_STARTED;
  if (!opt || size < 6 || !(*(UINT32 *)opt & LOAD_OPTION_ACTIVE)) goto done;
  CHAR16 *desc = (CHAR16 *)(opt + 6);
  UINTN desc_bytes = StrSize(desc);
  if (6 + desc_bytes >= size) goto done;
  EFI_DEVICE_PATH *dp = (EFI_DEVICE_PATH *)(opt + 6 + desc_bytes);
  HARDDRIVE_DEVICE_PATH *hd = partition_node(dp);
  EFI_DEVICE_PATH *file = hd ? NextDevicePathNode((EFI_DEVICE_PATH *)hd) : NULL;
  if (!file || DevicePathType(file) != MEDIA_DEVICE_PATH || DevicePathSubType(file) != MEDIA_FILEPATH_DP) goto done;
  for (UINTN i = 0; i < nvols && out == NOT_STARTED; i++) {
    HARDDRIVE_DEVICE_PATH *vol = partition_node(DevicePathFromHandle(vols[i]));
    if (vols[i] == own || !vol || !same_partition(vol, hd)) continue;
    EFI_DEVICE_PATH *path = FileDevicePath(vols[i], ((FILEPATH_DEVICE_PATH *)file)->PathName);
    if (path) out = start(self, path, desc);
    release(path);
  }
done:
  release(opt);
  return out;
}

/* The firmware's BootOrder, entry by entry, until one starts. */
static Outcome try_boot_order(EFI_HANDLE self, EFI_HANDLE own, EFI_HANDLE *vols, UINTN nvols) {
  UINTN size = 0;
  UINT16 *order = LibGetVariableAndSize(L"BootOrder", &EfiGlobalVariable, &size);
  Outcome out = NOT_STARTED;
  for (UINTN i = 0; order && i < size / sizeof *order && out == NOT_STARTED; i++)
    out = try_boot_option(self, own, order[i], vols, nvols);
  release(order);
  return out;
}

/* The removable-media loader on each volume but our own device. */
static Outcome try_removable(EFI_HANDLE self, EFI_HANDLE own, EFI_HANDLE *vols, UINTN nvols) {
  Outcome out = NOT_STARTED;
  for (UINTN i = 0; i < nvols && out == NOT_STARTED; i++) {
    if (vols[i] == own) continue;
    EFI_DEVICE_PATH *path = FileDevicePath(vols[i], REMOVABLE_LOADER);
    if (path) out = start(self, path, REMOVABLE_LOADER);
    release(path);
  }
  return out;
}

/*
 * Connects every driver to every device. A firmware may connect only the devices it means to
 * boot (OVMF, when QEMU names boot devices, connects just those), so a disk can be present
 * with no file system on it yet; asked only when the first search found nothing.
 */
static void connect_all(void) {
  UINTN n = 0;
  EFI_HANDLE *handles = NULL;
  if (EFI_ERROR(LibLocateHandle(AllHandles, NULL, NULL, &n, &handles))) return;
  for (UINTN i = 0; i < n; i++) uefi_call_wrapper(BS->ConnectController, 4, handles[i], NULL, NULL, TRUE);
  release(handles);
}

/* BootOrder's disk entries, then the removable-media path, on the volumes there are now. */
static Outcome try_volumes(EFI_HANDLE self, EFI_HANDLE own, UINTN *nvols) {
  EFI_HANDLE *vols = volumes(nvols);
  Outcome out = try_boot_order(self, own, vols, *nvols);
  if (out == NOT_STARTED) out = try_removable(self, own, vols, *nvols);
  release(vols);
  return out;
}

EFI_STATUS efi_main(EFI_HANDLE self, EFI_SYSTEM_TABLE *st) {
  InitializeLib(self, st);
  EFI_LOADED_IMAGE *me = NULL;
  uefi_call_wrapper(BS->HandleProtocol, 3, self, &LoadedImageProtocol, (VOID **)&me);
  EFI_HANDLE own = me ? me->DeviceHandle : NULL;
  UINTN nvols = 0;
  Outcome out = try_volumes(self, own, &nvols);
  if (out == NOT_STARTED) {
    connect_all();
    out = try_volumes(self, own, &nvols);
  }
  if (out == NOT_STARTED) Print(L"dragonfly-localboot: no bootable disk found (%d file systems), back to the firmware\n", nvols);
  else Print(L"dragonfly-localboot: the disk's loader returned, back to the firmware\n");
  return EFI_NOT_FOUND;
}
