"""Plugin ``federated``: Wasserstein GANs trained across clients with Flower (simulation on
Ray, or a SuperLink with SuperNodes). With non-IID, imbalanced clients, FedAvg's sample-count
weighting lets the majority client dominate and the global generator drops the modes only
minority clients hold; uniform or sqrt weighting, or critics kept on the clients, keep them."""

from .plugin import PLUGIN

__all__ = ["PLUGIN"]
