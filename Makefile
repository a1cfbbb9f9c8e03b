# Build every example program in this folder, one binary per source file.
#
#   make            build all programs (./fork, ./zombie, ... ./server, ./client)
#   make zombie     build one program
#   make test       build everything and run the test suite (tests/run, with prove)
#   make test-stress the same beside two busy loops, as on a machine busy with other work
#   make test-env   the checks of make demo and make demo-zombie in tmux (tests/run --env)
#   make mutants    apply each mutant (mutants/, mistakes/) and see its tests fail (tools/mutants)
#   make bench      measure the echo server beside a minimal forking server (tests/bench)
#   make demo       the server, three clients and ps, ready-made in tmux (tools/demo)
#   make demo-zombie ./zombie beside ps, in tmux
#   make mistakes   list the notes' mistakes; make mistake-NAME shows one (tools/mistake)
#   make test-mistakes  check that each mistake's scene shows it (tests/mistakes.check)
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
TEST_TOOLS := tests/loadgen tests/forkprobe tests/subreaper tests/closedport tests/minserver
TEST_LIBRARIES := tests/inject.so

COMPILE = $(CC) $(STANDARD) $(WARNINGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)

.PHONY: all test-tools test test-stress test-env mutants bench format format-check clean demo demo-zombie FORCE

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

# A library the tests preload into a program to make fork() and accept() misbehave, as they
# can under load or on other systems, or to hold fork() and pselect() up (LD_PRELOAD: Linux,
# glibc or musl).
$(TEST_LIBRARIES): %.so: %.c .build-flags
	$(COMPILE) -fPIC -shared -o $@ $< $(LDLIBS) -ldl

test: all test-tools
	CC="$(CC)" tests/run

test-stress: all test-tools
	CC="$(CC)" tests/run --load 2

test-env: all test-tools
	CC="$(CC)" tests/run --env

mutants:
	CC="$(CC)" tools/mutants

bench: server test-tools
	tests/bench

# The terminals a lesson asks for, opened ready-made in tmux (tools/demo says how it works):
# the server with three clients and ps, or ./zombie beside ps.
demo: server client
	tools/demo server

demo-zombie: zombie
	tools/demo zombie

# Each mistake of the notes put back into a scratch copy by a patch (mistakes/NAME.patch), and
# shown beside the fixed program. Not part of `make test`: the scenes take a minute in all.
.PHONY: mistakes test-mistakes
mistakes:
	@tools/mistake

mistake-%: all test-tools
	@CC="$(CC)" tools/mistake $*

test-mistakes: all test-tools
	CC="$(CC)" prove --exec bash tests/mistakes.check

SOURCES = $(PROGRAMS:=.c) $(TEST_TOOLS:=.c) $(TEST_LIBRARIES:.so=.c)

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -f $(PROGRAMS) $(TEST_TOOLS) $(TEST_LIBRARIES) .build-flags
