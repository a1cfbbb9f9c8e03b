# Build every example program in this folder, one binary per source file.
#
#   make            build all programs (./fork, ./zombie, ... ./server, ./client)
#   make zombie     build one program
#   make test       build everything and run the test suite (tests/run)
#   make bench      measure the echo server against the cost of fork (tests/bench)
#   make format     reformat the sources with clang-format (format-check: only check)
#   make clean      remove what the build made
#
# CC, CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS may be set on the command line or in the
# environment, e.g. `make CC=clang CFLAGS='-O0 -g'`. The language standard and the warnings
# are kept apart from CFLAGS, so overriding CFLAGS never turns them off.

CFLAGS ?= -O2 -g
STANDARD := -std=c11 -D_POSIX_C_SOURCE=200809L
WARNINGS := -Wall -Wextra -Wpedantic

PROGRAMS := fork zombie wait waitpid signal sigaction zombie-sig server client
TEST_TOOLS := tests/loadgen tests/forkprobe tests/subreaper
TEST_LIBRARIES := tests/failfork.so

COMPILE = $(CC) $(STANDARD) $(WARNINGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)

.PHONY: all test-tools test bench format format-check clean demo demo-zombie FORCE

all: $(PROGRAMS)

test-tools: $(TEST_TOOLS) $(TEST_LIBRARIES)

# A program is rebuilt when its source changes, and also when the compiler or the flags
# change (switching from gcc to clang or turning the sanitizers on rebuilds everything).
# .build-flags holds the last command line used and is rewritten only when it differs.
BUILD_FLAGS = $(COMPILE) $(LDLIBS)
.build-flags: FORCE
	@printf '%s\n' '$(BUILD_FLAGS)' | cmp -s - $@ || printf '%s\n' '$(BUILD_FLAGS)' > $@

$(PROGRAMS): %: %.c .build-flags
	$(COMPILE) -o $@ $< $(LDLIBS)

# The test tools run several connections at once with threads.
$(TEST_TOOLS): %: %.c .build-flags
	$(COMPILE) -pthread -o $@ $< $(LDLIBS)

# A library the tests preload into the server to make fork() fail (Linux, glibc).
$(TEST_LIBRARIES): %.so: %.c .build-flags
	$(COMPILE) -fPIC -shared -o $@ $< $(LDLIBS) -ldl

test: all test-tools
	CC="$(CC)" tests/run

bench: server test-tools
	tests/bench

# The terminals a lesson asks for, opened ready-made in tmux (tools/demo says how it works):
# the server with three clients and ps, or ./zombie beside ps.
demo: server client
	tools/demo server

demo-zombie: zombie
	tools/demo zombie

SOURCES = $(PROGRAMS:=.c) $(TEST_TOOLS:=.c) $(TEST_LIBRARIES:.so=.c)

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -f $(PROGRAMS) $(TEST_TOOLS) $(TEST_LIBRARIES) .build-flags
