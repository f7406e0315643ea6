import pytest
import torch

from wgan_plugins.superres.models import SRGenerator
from wgan_core.domains.images import apply_tiled


@pytest.mark.parametrize("scale", [2, 4])
def test_tiled_equals_untiled(scale: int) -> None:
    torch.manual_seed(0)
    g = SRGenerator(scale, channels=8, blocks=2).eval()
    for p in g.parameters():  # random weights everywhere, so every pixel's context matters
        torch.nn.init.normal_(p, std=0.1)
    lr = torch.rand(1, 3, 37, 29)
    with torch.no_grad():
        whole = g(lr).clamp(0, 1)
    tiled = apply_tiled(g, lr, scale, tile=8, overlap=g.receptive_radius)
    torch.testing.assert_close(tiled, whole, atol=1e-5, rtol=0)
    # The overlap matters: without it the seams differ from the one-pass result.
    seams = apply_tiled(g, lr, scale, tile=8, overlap=0)
    assert (seams - whole).abs().max() > 1e-3
