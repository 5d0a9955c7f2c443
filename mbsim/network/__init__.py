"""The spiking mushroom body: odors, Brian2 network, plasticity rule and T-maze readout."""
