# omega-core's feature matrix (like RustCrypto's feature-powerset CI): the union of features,
# which test-rust and lint build, can hide a combination that does not compile or whose tests
# fail. Each line reuses most of the previous builds; the cheap combinations are only checked.
#   make test-core-features   no features, std, std+sign, std+parallel, all features
.PHONY: test-core-features

TEST_TARGETS += test-core-features

test-core-features: setup
	$(CARGO) test -p omega-core --no-default-features --lib
	$(CARGO) clippy -p omega-core --no-default-features --features std --all-targets -- -D warnings
	$(CARGO) test -p omega-core --no-default-features --features std
	$(CARGO) test -p omega-core --no-default-features --features std,sign
	$(CARGO) clippy -p omega-core --no-default-features --features std,parallel --all-targets -- -D warnings
	$(CARGO) test -p omega-core --all-features
