"""Helpers of one domain that two plugins share; the seams and the trainer never import them.

- ``wgan_core.domains.images``: image I/O, the embedded photographs and their split, tiled
  inference, the apply loop with its refusals, PSNR/SSIM, high-frequency ratio, SWD
  (superres and img2img);
- ``wgan_core.domains.graphs``: a graph's shortest-path metric space and the edge penalty
  (graphgen).

Nothing is imported here: importing a domain loads only that domain's libraries.
"""
