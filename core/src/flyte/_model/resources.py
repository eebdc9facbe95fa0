"""Compute resources a task asks for: CPU, memory, accelerators, disk and shared memory.

Locally these are recorded and validated; the in-process executor does not enforce them. The
parsed accessors (:meth:`Resources.memory_bytes`, :meth:`Resources.cpu_cores`) are what an
executor that does enforce limits (the planned process-isolated one) reads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union

__all__ = [
    "AMD_GPU",
    "ACCELERATOR_QUANTITIES",
    "GPU",
    "HABANA_GAUDI",
    "TPU",
    "Device",
    "DeviceClass",
    "Neuron",
    "Resources",
    "parse_cpu",
    "parse_memory",
]

DeviceClass = Literal["GPU", "TPU", "NEURON", "AMD_GPU", "HABANA_GAUDI"]
_DEVICE_CLASSES: tuple[str, ...] = ("GPU", "TPU", "NEURON", "AMD_GPU", "HABANA_GAUDI")

# Known accelerator names per device class (the upstream SDK's list).
_GPU_TYPES = (
    "A2",
    "A10",
    "A10G",
    "A100",
    "A100 80G",
    "B200",
    "H100",
    "H200",
    "L4",
    "L40s",
    "T4",
    "V100",
    "RTX PRO 6000",
    "GB10",
)
_TPU_TYPES = ("V5P", "V6E")
_NEURON_TYPES = ("Inf1", "Inf2", "Trn1", "Trn1n", "Trn2", "Trn2u")
_AMD_GPU_TYPES = ("MI100", "MI210", "MI250", "MI250X", "MI300A", "MI300X", "MI325X", "MI350X", "MI355X")
_HABANA_GAUDI_TYPES = ("Gaudi1",)

_DEVICE_CLASS_OF: dict[str, str] = {
    **{name: "GPU" for name in _GPU_TYPES},
    **{name: "TPU" for name in _TPU_TYPES},
    **{name: "NEURON" for name in _NEURON_TYPES},
    **{name: "AMD_GPU" for name in _AMD_GPU_TYPES},
    **{name: "HABANA_GAUDI" for name in _HABANA_GAUDI_TYPES},
}

# GPU partitions (MIG profiles) and TPU slices accepted per device.
_PARTITIONS: dict[str, tuple[str, ...]] = {
    "A100": ("1g.5gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb"),
    "A100 80G": ("1g.10gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"),
    "H100": ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"),
    "H200": ("1g.18gb", "1g.35gb", "2g.35gb", "3g.71gb", "4g.71gb", "7g.141gb"),
    "V5P": (
        "2x2x1",
        "2x2x2",
        "2x4x4",
        "4x4x4",
        "4x4x8",
        "4x8x8",
        "8x8x8",
        "8x8x16",
        "8x16x16",
        "16x16x16",
        "16x16x24",
    ),
    "V6E": ("1x1", "2x2", "2x4", "4x4", "4x8", "8x8", "8x16", "16x16"),
}

_ONE_TO_EIGHT = tuple(range(1, 9))
#: Accelerator string forms accepted by ``Resources(gpu="NAME:QTY")``: device name -> quantities.
ACCELERATOR_QUANTITIES: dict[str, tuple[int, ...]] = {
    **{
        name: _ONE_TO_EIGHT
        for name in ("A10", "A10G", "A100", "A100 80G", "B200", "H100", "H200", "L4", "L40s", "T4", "V100")
    },
    "A2": (1,),
    "RTX PRO 6000": (1,),
    "GB10": (1,),
    **{name: (1, 4, 8, 16) for name in ("Trn1", "Trn1n", "Trn2", "Trn2u")},
    "Inf1": tuple(range(1, 17)),
    "Inf2": tuple(range(1, 13)),
    **{name: (1,) for name in _AMD_GPU_TYPES},
    "Gaudi1": (1,),
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Device:
    """An accelerator: how many, which class, which model and which partition.

    Build it with :func:`GPU`, :func:`TPU`, :func:`Neuron`, :func:`AMD_GPU` or :func:`HABANA_GAUDI`
    unless the device is not in the known lists.

    Args:
        quantity: Number of devices, at least 1.
        device_class: One of ``"GPU"``, ``"TPU"``, ``"NEURON"``, ``"AMD_GPU"``, ``"HABANA_GAUDI"``.
        device: The model, e.g. ``"T4"`` or ``"A100"``; ``None`` means any model of the class.
        partition: A GPU partition (e.g. ``"1g.5gb"``) or TPU slice (e.g. ``"2x2x1"``).
    """

    quantity: int
    device_class: DeviceClass
    device: Optional[str] = None
    partition: Optional[str] = None

    def __post_init__(self) -> None:
        if not _is_int(self.quantity) or self.quantity < 1:
            raise ValueError(f"Device quantity: got {self.quantity!r}; expected an int of at least 1")
        if self.device_class not in _DEVICE_CLASSES:
            raise ValueError(f"Device device_class: got {self.device_class!r}; accepted: {list(_DEVICE_CLASSES)}")
        if self.device is not None and (not isinstance(self.device, str) or not self.device):
            raise ValueError(f"Device device: got {self.device!r}; expected a non-empty string or None")
        if self.partition is not None and (not isinstance(self.partition, str) or not self.partition):
            raise ValueError(f"Device partition: got {self.partition!r}; expected a non-empty string or None")

    def describe(self) -> str:
        """One line such as ``2 x GPU A100 (partition 1g.5gb)``."""
        text = f"{self.quantity} x {self.device_class}"
        if self.device:
            text += f" {self.device}"
        if self.partition:
            text += f" (partition {self.partition})"
        return text


def _check_device_name(device: object, known: tuple[str, ...], helper: str) -> str:
    if not isinstance(device, str) or device not in known:
        raise ValueError(f"{helper}: unknown device {device!r}; accepted: {list(known)}")
    return device


def _check_partition(device: str, partition: object, helper: str) -> Optional[str]:
    if partition is None:
        return None
    accepted = _PARTITIONS.get(device)
    if accepted is None:
        raise ValueError(f"{helper}: device {device!r} does not support partitions; got partition={partition!r}")
    if partition not in accepted:
        raise ValueError(f"{helper}: invalid partition {partition!r} for {device}; accepted: {list(accepted)}")
    return str(partition)


def GPU(device: str, quantity: int, partition: Optional[str] = None) -> Device:
    """An NVIDIA GPU request, e.g. ``GPU("A100", 2)`` or ``GPU("A100", 1, partition="1g.5gb")``.

    Raises:
        ValueError: Unknown device, quantity outside 1..8, or a partition the device does not offer.
    """
    _check_device_name(device, _GPU_TYPES, "GPU")
    if not _is_int(quantity) or not 1 <= quantity <= 8:
        raise ValueError(f"GPU quantity: got {quantity!r}; accepted: an int from 1 to 8")
    return Device(
        quantity=quantity, device_class="GPU", device=device, partition=_check_partition(device, partition, "GPU")
    )


def TPU(device: str, partition: Optional[str] = None) -> Device:
    """A Google Cloud TPU request, e.g. ``TPU("V5P", partition="2x2x1")``."""
    _check_device_name(device, _TPU_TYPES, "TPU")
    return Device(quantity=1, device_class="TPU", device=device, partition=_check_partition(device, partition, "TPU"))


def Neuron(device: str) -> Device:
    """An AWS Neuron (Inferentia / Trainium) request, e.g. ``Neuron("Inf2")``."""
    return Device(quantity=1, device_class="NEURON", device=_check_device_name(device, _NEURON_TYPES, "Neuron"))


def AMD_GPU(device: str) -> Device:
    """An AMD GPU request, e.g. ``AMD_GPU("MI300X")``."""
    return Device(quantity=1, device_class="AMD_GPU", device=_check_device_name(device, _AMD_GPU_TYPES, "AMD_GPU"))


def HABANA_GAUDI(device: str) -> Device:
    """An Intel Habana Gaudi request, e.g. ``HABANA_GAUDI("Gaudi1")``."""
    return Device(
        quantity=1, device_class="HABANA_GAUDI", device=_check_device_name(device, _HABANA_GAUDI_TYPES, "HABANA_GAUDI")
    )


# ---------------------------------------------------------------------------------------------
# Quantity parsing (Kubernetes conventions)

_MEMORY_UNITS: dict[str, int] = {
    "": 1,
    "k": 1000,
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "P": 1000**5,
    "E": 1000**6,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
}
_MEMORY_TEXT = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*?)[bB]?\s*")
_MEMORY_ACCEPTED = 'bytes as an int, or text like "250Mi", "1Gi", "512M", "2G", "100k"'

_CPU_TEXT = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*(m?)\s*")
_CPU_ACCEPTED = 'cores as int/float, or text like "2", "1.5", "500m"'


def parse_memory(value: Union[int, float, str], param: str = "memory") -> int:
    """Return a memory quantity in bytes.

    Accepts a number of bytes or Kubernetes quantity text: decimal units ``k``/``K``, ``M``, ``G``,
    ``T``, ``P``, ``E`` and binary units ``Ki``, ``Mi``, ``Gi``, ``Ti``, ``Pi``, ``Ei`` (a trailing
    ``B`` is tolerated, so ``"2GB"`` and ``"512MiB"`` work too).

    Raises:
        TypeError: ``value`` is neither a number nor a string.
        ValueError: negative, unreadable, or an unknown unit (``"512m"`` is rejected: in
            Kubernetes ``m`` means thousandths, which is never meant for memory).
    """
    if isinstance(value, bool):
        raise TypeError(f"{param}: got the bool {value!r}; accepted: {_MEMORY_ACCEPTED}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{param}: got {value!r}; a memory size must be a non-negative number of bytes")
        return int(value)
    if not isinstance(value, str):
        raise TypeError(f"{param}: got {type(value).__name__} {value!r}; accepted: {_MEMORY_ACCEPTED}")
    match = _MEMORY_TEXT.fullmatch(value)
    if match is None:
        if value.strip().startswith("-"):
            raise ValueError(f"{param}: got {value!r}; a memory size must not be negative")
        raise ValueError(f"{param}: cannot read {value!r} as a memory size; accepted: {_MEMORY_ACCEPTED}")
    number, unit = match.group(1), match.group(2)
    if unit == "m":
        raise ValueError(
            f"{param}: got {value!r}; `m` means thousandths in Kubernetes quantities. "
            f"Did you mean {number}Mi (mebibytes) or {number}M (megabytes)?"
        )
    if unit not in _MEMORY_UNITS:
        raise ValueError(
            f"{param}: unknown unit `{unit}` in {value!r}; units are k, M, G, T, P, E and Ki, Mi, Gi, Ti, Pi, Ei"
        )
    return int(float(number) * _MEMORY_UNITS[unit])


def parse_cpu(value: Union[int, float, str], param: str = "cpu") -> float:
    """Return a CPU quantity in cores: ``2`` -> 2.0, ``"1.5"`` -> 1.5, ``"500m"`` -> 0.5."""
    if isinstance(value, bool):
        raise TypeError(f"{param}: got the bool {value!r}; accepted: {_CPU_ACCEPTED}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{param}: got {value!r}; cpu must be a non-negative number of cores")
        return float(value)
    if not isinstance(value, str):
        raise TypeError(f"{param}: got {type(value).__name__} {value!r}; accepted: {_CPU_ACCEPTED}")
    match = _CPU_TEXT.fullmatch(value)
    if match is None:
        if value.strip().startswith("-"):
            raise ValueError(f"{param}: got {value!r}; cpu must not be negative")
        raise ValueError(f"{param}: cannot read {value!r} as a CPU quantity; accepted: {_CPU_ACCEPTED}")
    cores = float(match.group(1))
    return cores / 1000 if match.group(2) == "m" else cores


def _parse_accelerator(text: str) -> Device:
    name, sep, quantity_text = text.rpartition(":")
    known = ", ".join(f"{n}:{'/'.join(str(q) for q in qs)}" for n, qs in ACCELERATOR_QUANTITIES.items())
    if not sep or name not in ACCELERATOR_QUANTITIES or not quantity_text.isdigit():
        raise ValueError(f'gpu: unknown accelerator {text!r}; use "NAME:QUANTITY" with one of: {known}')
    quantity = int(quantity_text)
    allowed = ACCELERATOR_QUANTITIES[name]
    if quantity not in allowed:
        raise ValueError(f"gpu: {text!r} asks for {quantity} x {name}; accepted quantities for {name}: {list(allowed)}")
    return Device(quantity=quantity, device_class=_DEVICE_CLASS_OF[name], device=name)  # type: ignore[arg-type]


CPUBaseType = Union[int, float, str]


@dataclass(frozen=True)
class Resources:
    """CPU, memory, accelerators and storage a task asks for.

    Examples::

        Resources(cpu=1, memory="1Gi", gpu="T4:1")
        Resources(cpu=(1, 2), memory=("1Gi", "4Gi"), disk="10Gi")
        Resources(gpu=GPU("A100", 1, partition="1g.5gb"))

    Args:
        cpu: Cores as int/float, Kubernetes text (``"500m"``, ``"2"``), or a ``(request, limit)`` tuple.
        memory: Bytes as int, Kubernetes text (``"250Mi"``, ``"1Gi"``, ``"512M"``, ``"2G"``), or a
            ``(request, limit)`` tuple.
        gpu: Accelerator text ``"NAME:QUANTITY"`` (``"T4:1"``, ``"A100 80G:2"``), a count of
            GPUs of any model, or a :class:`Device` from :func:`GPU`, :func:`TPU`, ...
        disk: Ephemeral disk, memory-style text (``"10Gi"``).
        shm: Shared memory (``/dev/shm``): memory-style text or ``"auto"``.
        storage: Same meaning as ``disk`` (the docs' remote-tasks page writes
            ``Resources(storage="200Gi")``); give one or the other.

    The values are kept as given; use :meth:`cpu_cores`, :meth:`memory_bytes`, :meth:`disk_bytes`,
    :meth:`shm_bytes` and :meth:`get_device` for parsed numbers. They have no effect on local
    in-process runs.
    """

    cpu: Union[CPUBaseType, tuple[CPUBaseType, CPUBaseType], None] = None
    memory: Union[int, str, tuple[Union[int, str], Union[int, str]], None] = None
    gpu: Union[str, int, Device, None] = None
    disk: Union[int, str, None] = None
    shm: Union[int, str, None] = None
    storage: Union[int, str, None] = None

    def __post_init__(self) -> None:
        # Parsing here is the validation; the accessors re-parse cheaply.
        for name in ("cpu", "memory"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        self._check_pair("cpu", self.cpu, parse_cpu)
        self._check_pair("memory", self.memory, parse_memory)
        gpu = self.gpu
        if gpu is not None:
            if isinstance(gpu, bool):
                raise TypeError(f'gpu: got the bool {gpu!r}; accepted: a count, "NAME:QUANTITY" text or a Device')
            if isinstance(gpu, int):
                if gpu < 0:
                    raise ValueError(f"gpu: got {gpu!r}; a GPU count must be >= 0")
            elif isinstance(gpu, str):
                _parse_accelerator(gpu)
            elif not isinstance(gpu, Device):
                raise TypeError(
                    f"gpu: got {type(gpu).__name__} {gpu!r}; accepted: a count, accelerator text such as "
                    f'"A100:4", or a GPU()/TPU()/Device() value'
                )
        if self.disk is not None:
            parse_memory(self.disk, "disk")
        if self.storage is not None:
            parse_memory(self.storage, "storage")
            if self.disk is not None:
                raise ValueError(
                    f"storage={self.storage!r} and disk={self.disk!r} were both given; "
                    f"they mean the same thing, give only one"
                )
        if self.shm is not None and self.shm != "auto":
            parse_memory(self.shm, "shm")

    @staticmethod
    def _check_pair(param: str, value: Any, parse: Callable[[Any, str], float]) -> None:
        if value is None:
            return
        if isinstance(value, tuple):
            if len(value) != 2:
                raise ValueError(f"{param}: got {value!r}; a tuple must be exactly (request, limit)")
            request, limit = parse(value[0], f"{param} request"), parse(value[1], f"{param} limit")
            if request > limit:
                raise ValueError(f"{param}: request {value[0]!r} is larger than limit {value[1]!r}")
            return
        parse(value, param)

    @staticmethod
    def _limit(value: Any) -> Any:
        return value[1] if isinstance(value, (tuple, list)) else value

    @staticmethod
    def _request(value: Any) -> Any:
        return value[0] if isinstance(value, (tuple, list)) else value

    def cpu_cores(self) -> Optional[float]:
        """CPU limit in cores (the limit when a ``(request, limit)`` tuple was given), or ``None``."""
        return None if self.cpu is None else parse_cpu(self._limit(self.cpu))

    def cpu_request_cores(self) -> Optional[float]:
        """CPU request in cores (the request when a tuple was given), or ``None``."""
        return None if self.cpu is None else parse_cpu(self._request(self.cpu))

    def memory_bytes(self) -> Optional[int]:
        """Memory limit in bytes (the limit when a ``(request, limit)`` tuple was given), or ``None``."""
        return None if self.memory is None else parse_memory(self._limit(self.memory))

    def memory_request_bytes(self) -> Optional[int]:
        """Memory request in bytes (the request when a tuple was given), or ``None``."""
        return None if self.memory is None else parse_memory(self._request(self.memory))

    def disk_bytes(self) -> Optional[int]:
        """Ephemeral disk in bytes from ``disk`` or ``storage``, or ``None``."""
        value = self.disk if self.disk is not None else self.storage
        return None if value is None else parse_memory(value, "disk")

    def shm_bytes(self) -> Optional[int]:
        """Shared memory in bytes; ``None`` when unset or ``"auto"``."""
        return None if self.shm is None or self.shm == "auto" else parse_memory(self.shm, "shm")

    def get_device(self) -> Optional[Device]:
        """The accelerator as a :class:`Device`; ``None`` when no accelerator (``gpu`` unset or 0)."""
        gpu = self.gpu
        if gpu is None or isinstance(gpu, bool):
            return None
        if isinstance(gpu, int):
            return None if gpu == 0 else Device(quantity=gpu, device_class="GPU")
        if isinstance(gpu, str):
            return _parse_accelerator(gpu)
        return gpu

    def gpu_count(self) -> int:
        """Number of accelerator devices requested (0 when none)."""
        device = self.get_device()
        return 0 if device is None else device.quantity

    def describe(self) -> str:
        """One line listing what was set, e.g. ``cpu=1, memory=2Gi, gpu=1 x GPU T4``."""
        parts: list[str] = []
        for name in ("cpu", "memory"):
            value = getattr(self, name)
            if isinstance(value, (tuple, list)):
                parts.append(f"{name}={value[0]}..{value[1]}")
            elif value is not None:
                parts.append(f"{name}={value}")
        device = self.get_device()
        if device is not None:
            parts.append(f"gpu={device.describe()}")
        for name in ("disk", "storage", "shm"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value}")
        return ", ".join(parts) if parts else "no resource requests"
