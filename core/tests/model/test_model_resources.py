import dataclasses

import pytest

import flyte
from flyte._model.resources import (
    AMD_GPU,
    GPU,
    HABANA_GAUDI,
    TPU,
    Device,
    Neuron,
    Resources,
    parse_cpu,
    parse_memory,
)


def test_public_names_resolve_to_this_module():
    assert flyte.Resources is Resources
    assert flyte.GPU is GPU and flyte.TPU is TPU and flyte.Device is Device
    assert flyte.Neuron is Neuron and flyte.AMD_GPU is AMD_GPU and flyte.HABANA_GAUDI is HABANA_GAUDI


# ------------------------------------------------------------------ docs forms


def test_docs_forms():
    r = Resources(cpu="1", memory="2Gi")
    assert r.cpu_cores() == 1.0
    assert r.memory_bytes() == 2 * 1024**3
    r = Resources(cpu=1, memory="250Mi")
    assert r.memory_bytes() == 250 * 1024**2
    r = Resources(cpu="16", memory="64Gi", storage="200Gi")
    assert r.disk_bytes() == 200 * 1024**3
    assert r.storage == "200Gi"


def test_values_are_kept_as_given_and_frozen():
    r = Resources(cpu="500m", memory="1Gi")
    assert r.cpu == "500m" and r.memory == "1Gi"
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.cpu = 2  # type: ignore[misc]
    assert hash(r) == hash(Resources(cpu="500m", memory="1Gi"))


@pytest.mark.parametrize(
    ("cpu", "cores"),
    [(1, 1.0), (0.5, 0.5), ("500m", 0.5), ("2", 2.0), ("1.5", 1.5), ("250m", 0.25), (0, 0.0)],
)
def test_cpu_forms(cpu, cores):
    assert Resources(cpu=cpu).cpu_cores() == cores


@pytest.mark.parametrize(
    ("memory", "nbytes"),
    [
        ("250Mi", 250 * 1024**2),
        ("1Gi", 1024**3),
        ("512M", 512 * 10**6),
        ("2G", 2 * 10**9),
        ("100k", 100_000),
        ("100K", 100_000),
        ("1Ki", 1024),
        ("1.5Gi", int(1.5 * 1024**3)),
        ("2GB", 2 * 10**9),
        ("512MiB", 512 * 1024**2),
        ("1Ti", 1024**4),
        (1024, 1024),
        ("4096", 4096),
    ],
)
def test_memory_forms(memory, nbytes):
    assert Resources(memory=memory).memory_bytes() == nbytes
    assert parse_memory(memory) == nbytes


def test_request_limit_tuples_use_the_limit():
    r = Resources(cpu=(1, 2), memory=("1Gi", "4Gi"))
    assert r.cpu_cores() == 2.0 and r.cpu_request_cores() == 1.0
    assert r.memory_bytes() == 4 * 1024**3 and r.memory_request_bytes() == 1024**3


def test_lists_become_tuples():
    r = Resources(cpu=[1, 2], memory=["1Gi", "2Gi"])
    assert r.cpu == (1, 2) and r.memory == ("1Gi", "2Gi")
    hash(r)


def test_unset_accessors_are_none():
    r = Resources()
    assert r.cpu_cores() is None and r.memory_bytes() is None and r.disk_bytes() is None
    assert r.shm_bytes() is None and r.get_device() is None and r.gpu_count() == 0
    assert r.describe() == "no resource requests"


def test_shm():
    assert Resources(shm="auto").shm_bytes() is None
    assert Resources(shm="1Gi").shm_bytes() == 1024**3


# ------------------------------------------------------------------ accelerators


@pytest.mark.parametrize(
    ("gpu", "device_class", "device", "quantity"),
    [
        ("T4:1", "GPU", "T4", 1),
        ("A100:8", "GPU", "A100", 8),
        ("A100 80G:2", "GPU", "A100 80G", 2),
        ("RTX PRO 6000:1", "GPU", "RTX PRO 6000", 1),
        ("Trn1:16", "NEURON", "Trn1", 16),
        ("Inf2:12", "NEURON", "Inf2", 12),
        ("MI300X:1", "AMD_GPU", "MI300X", 1),
        ("Gaudi1:1", "HABANA_GAUDI", "Gaudi1", 1),
    ],
)
def test_accelerator_strings(gpu, device_class, device, quantity):
    d = Resources(gpu=gpu).get_device()
    assert d == Device(quantity=quantity, device_class=device_class, device=device)


def test_gpu_count_and_device():
    assert Resources(gpu=2).get_device() == Device(quantity=2, device_class="GPU")
    assert Resources(gpu=0).get_device() is None
    assert Resources(gpu=3).gpu_count() == 3
    d = GPU("A100", 1, partition="1g.5gb")
    assert Resources(gpu=d).get_device() is d


def test_device_helpers():
    assert GPU("T4", 2) == Device(quantity=2, device_class="GPU", device="T4")
    assert GPU("H100", 1, partition="3g.40gb").partition == "3g.40gb"
    assert TPU("V5P", partition="2x2x1") == Device(1, "TPU", "V5P", "2x2x1")
    assert TPU("V6E").partition is None
    assert Neuron("Inf2").device_class == "NEURON"
    assert AMD_GPU("MI300X").device_class == "AMD_GPU"
    assert HABANA_GAUDI("Gaudi1").device_class == "HABANA_GAUDI"
    assert GPU("T4", 1).describe() == "1 x GPU T4"
    assert GPU("A100", 1, partition="1g.5gb").describe() == "1 x GPU A100 (partition 1g.5gb)"


def test_device_helper_errors_list_accepted_values():
    with pytest.raises(ValueError, match=r"GPU: unknown device 'K80'; accepted: \['A2'"):
        GPU("K80", 1)
    with pytest.raises(ValueError, match="GPU quantity: got 9; accepted: an int from 1 to 8"):
        GPU("T4", 9)
    with pytest.raises(ValueError, match=r"invalid partition '9g.99gb' for A100; accepted: \['1g.5gb'"):
        GPU("A100", 1, partition="9g.99gb")
    with pytest.raises(ValueError, match="does not support partitions"):
        GPU("T4", 1, partition="1g.5gb")
    with pytest.raises(ValueError, match=r"TPU: unknown device 'V9'"):
        TPU("V9")
    with pytest.raises(ValueError, match="invalid partition '3x3' for V6E"):
        TPU("V6E", partition="3x3")
    with pytest.raises(ValueError, match=r"Neuron: unknown device 'Inf9'; accepted: \['Inf1'"):
        Neuron("Inf9")
    with pytest.raises(ValueError, match="AMD_GPU: unknown device"):
        AMD_GPU("MI1")
    with pytest.raises(ValueError, match="HABANA_GAUDI: unknown device"):
        HABANA_GAUDI("Gaudi9")


def test_device_validation():
    with pytest.raises(ValueError, match="Device quantity: got 0; expected an int of at least 1"):
        Device(quantity=0, device_class="GPU")
    with pytest.raises(ValueError, match=r"Device device_class: got 'FPGA'; accepted: \['GPU'"):
        Device(quantity=1, device_class="FPGA")  # type: ignore[arg-type]


# ------------------------------------------------------------------ validation errors


def test_cpu_errors():
    with pytest.raises(ValueError, match="cpu: got -1; cpu must be a non-negative number of cores"):
        Resources(cpu=-1)
    with pytest.raises(ValueError, match="cpu: cannot read 'lots' as a CPU quantity; accepted:"):
        Resources(cpu="lots")
    with pytest.raises(TypeError, match="cpu: got the bool True"):
        Resources(cpu=True)
    with pytest.raises(ValueError, match=r"cpu: got \(1, 2, 3\); a tuple must be exactly \(request, limit\)"):
        Resources(cpu=(1, 2, 3))
    with pytest.raises(ValueError, match="cpu: request 4 is larger than limit 2"):
        Resources(cpu=(4, 2))
    with pytest.raises(ValueError, match="cpu limit: cannot read 'x'"):
        Resources(cpu=(1, "x"))
    with pytest.raises(ValueError, match="cpu: got '-2'; cpu must not be negative"):
        parse_cpu("-2")


def test_memory_errors():
    with pytest.raises(ValueError, match=r"memory: got '512m'; `m` means thousandths.*Did you mean 512Mi"):
        Resources(memory="512m")
    with pytest.raises(ValueError, match="memory: unknown unit `Xi` in '5Xi'"):
        Resources(memory="5Xi")
    with pytest.raises(ValueError, match="memory: cannot read 'plenty' as a memory size; accepted:"):
        Resources(memory="plenty")
    with pytest.raises(ValueError, match="memory: got -5; a memory size must be a non-negative number of bytes"):
        Resources(memory=-5)
    with pytest.raises(ValueError, match="memory: got '-1Gi'; a memory size must not be negative"):
        Resources(memory="-1Gi")
    with pytest.raises(TypeError, match="memory: got dict"):
        Resources(memory={"a": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="memory: request '4Gi' is larger than limit '1Gi'"):
        Resources(memory=("4Gi", "1Gi"))


def test_gpu_errors():
    with pytest.raises(
        ValueError, match="gpu: unknown accelerator 'K80:1'; use \"NAME:QUANTITY\" with one of: A10:1/2"
    ):
        Resources(gpu="K80:1")
    with pytest.raises(ValueError, match="gpu: unknown accelerator 'T4'"):
        Resources(gpu="T4")
    with pytest.raises(ValueError, match=r"gpu: 'T4:9' asks for 9 x T4; accepted quantities for T4: \[1, 2"):
        Resources(gpu="T4:9")
    with pytest.raises(ValueError, match="gpu: got -1; a GPU count must be >= 0"):
        Resources(gpu=-1)
    with pytest.raises(TypeError, match="gpu: got the bool True"):
        Resources(gpu=True)
    with pytest.raises(TypeError, match=r"gpu: got tuple \('T4', 1\)"):
        Resources(gpu=("T4", 1))  # type: ignore[arg-type]


def test_disk_storage_shm_errors():
    with pytest.raises(ValueError, match="disk: cannot read 'big'"):
        Resources(disk="big")
    with pytest.raises(ValueError, match="storage: cannot read 'huge'"):
        Resources(storage="huge")
    with pytest.raises(ValueError, match="storage='1Gi' and disk='2Gi' were both given; they mean the same thing"):
        Resources(disk="2Gi", storage="1Gi")
    with pytest.raises(ValueError, match="shm: cannot read 'max'"):
        Resources(shm="max")


def test_describe():
    text = Resources(cpu=(1, 2), memory="2Gi", gpu="T4:1", storage="10Gi").describe()
    assert text == "cpu=1..2, memory=2Gi, gpu=1 x GPU T4, storage=10Gi"
