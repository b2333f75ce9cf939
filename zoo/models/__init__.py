"""GAN variants as LightningModules; each file is one variant, read top to bottom."""
