"""The Slack test kit: a stand-in for Slack's Web API, the request signer, and builders for every request
shape Slack sends. The tests, the benchmarks and the sandbox all use it, so a payload is written once."""
