# dkim-tools: a toolkit of small DKIM filters sharing one library.
#
#   make            build everything into $(B)/
#   make check      install missing build and test packages (Debian, as
#                   root), build, run every test; ends "N passed, N failed"
#   make demo       key, record, sign, verify a sample message, offline
#   make sanitize   the whole test suite against ASan+UBSan builds
#   make bench      measure against the peers and openssl speed
#   make fuzz       run the libFuzzer harnesses, FUZZ_SECONDS=n each
#   make install    PREFIX=/usr/local DESTDIR= (binaries, man pages and
#                   examples); make uninstall removes them

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/dkim-tools
B	?= build

PKGS	 = libcrypto libbsd-overlay
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT	?= -O2 -g
HARDEN	?= -D_FORTIFY_SOURCE=2 -fstack-protector-strong
WARN	 = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith \
	   -Wcast-qual -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wsign-compare
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -pthread $(OPT) $(HARDEN) $(WARN) -fPIE \
	      -Icommon $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pie -pthread -Wl,-z,relro,-z,now $(LDFLAGS)
LIBS	 = $(PKG_LIBS) -lresolv

BINS	 = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
LIBSRC	 = $(wildcard common/*.c)
LIBOBJ	 = $(patsubst %.c,$(B)/obj/%.o,$(LIBSRC))
LIBA	 = $(B)/libdkimtools.a
MAN1	 = $(wildcard man/*.1)
MAN7	 = $(wildcard man/*.7)
MANS	 = $(MAN1) $(MAN7)
# whatever files examples/ holds; those that are executable or start with
# "#!" are installed mode 755, the others 644
EX_FILES = $(shell for f in $(wildcard examples/*); do \
	     [ -f "$$f" ] && echo "$$f"; done)
EX_SCRIPTS = $(shell for f in $(EX_FILES); do \
	     if [ -x "$$f" ] || \
		[ "$$(head -c 2 "$$f")" = "$$(printf '\043!')" ]; then \
		echo "$$f"; fi; done)
EX_DATA	 = $(filter-out $(EX_SCRIPTS),$(EX_FILES))

all: $(addprefix $(B)/,$(BINS)) $(B)/unit

# V=1 shows the commands
Q	 = $(if $(V),,@)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIBOBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $(LIBOBJ)

$(B)/dkim-%: $(B)/obj/cmd/dkim-%.o $(LIBA)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

$(B)/unit: $(B)/obj/tests/unit/unit.o $(LIBA)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

# keep the objects of cmd/ (make would delete them as intermediates and
# rebuild every time)
.SECONDARY:

-include $(LIBOBJ:.o=.d) $(patsubst %,$(B)/obj/cmd/%.d,$(BINS)) \
	 $(B)/obj/tests/unit/unit.d

# check installs what is missing first, then builds in a fresh make so that
# pkg-config sees the packages it just installed.
check:
	sh tests/setup.sh
	$(MAKE) all
	$(MAKE) -C tests/peers
	DKIM_BIN=$(CURDIR)/$(B) sh tests/shell/run.sh

test: all
	DKIM_BIN=$(CURDIR)/$(B) sh tests/shell/run.sh

SAN = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
      -fno-omit-frame-pointer

sanitize:
	sh tests/setup.sh
	$(MAKE) all
	$(MAKE) B=build-san OPT="$(SAN)" HARDEN= LDFLAGS="-fsanitize=address,undefined" all
	$(MAKE) -C tests/peers
	DKIM_BIN=$(CURDIR)/build-san DKIM_SANITIZE=1 \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99 \
	sh tests/shell/run.sh

demo: all
	DKIM_BIN=$(CURDIR)/$(B) sh tests/demo.sh

# libFuzzer harnesses (clang): FUZZ_SECONDS=n of fuzzing each; make check
# only replays their corpora and fuzzes a few seconds (tests/shell/t-fuzz.sh)
FUZZ_SECONDS ?= 60
fuzz:
	sh tests/setup.sh
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# a benchmark, not a test: prints a table and writes tests/bench/RESULTS.md
bench:
	sh tests/setup.sh
	$(MAKE) all
	$(MAKE) -C tests/peers
	DKIM_BIN=$(CURDIR)/$(B) sh tests/bench/run.sh

lint:
	mandoc -Tlint -Wwarning $(MANS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(addprefix $(B)/,$(BINS)) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7
	$(if $(EX_FILES),install -d $(DESTDIR)$(DOCDIR)/examples)
	$(if $(EX_SCRIPTS),install -m 755 $(EX_SCRIPTS) \
	    $(DESTDIR)$(DOCDIR)/examples)
	$(if $(EX_DATA),install -m 644 $(EX_DATA) \
	    $(DESTDIR)$(DOCDIR)/examples)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(BINS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EX_FILES)))
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null \
	    || true

clean:
	rm -rf build build-san
	-$(MAKE) -C tests/peers clean 2>/dev/null
	-$(MAKE) -C tests/fuzz clean 2>/dev/null

.PHONY: all check test sanitize demo bench fuzz lint install uninstall clean
