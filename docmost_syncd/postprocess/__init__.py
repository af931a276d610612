"""The postprocess chain: ordered, named steps that turn a Docmost space into Docusaurus docs."""
