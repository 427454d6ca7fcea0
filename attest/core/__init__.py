"""The executable specification: pure functions the server, the SDK and the verifier share.

Nothing in this package touches a database, the network, files, the clock or the environment.
"""
