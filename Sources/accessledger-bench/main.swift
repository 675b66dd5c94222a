print("accessledger-bench: not written yet")
