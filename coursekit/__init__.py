"""coursekit: the code behind the lecture on understanding videos with CNNs and RNNs."""
