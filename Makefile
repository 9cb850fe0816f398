# Lethe build.  `make help` lists the targets.

VERSION  := 0.9.0
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
LIBEXEC  ?= $(PREFIX)/libexec/lethe
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share/lethe
SYSCONF  ?= /etc/lethe
UNITDIR  ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
SYSUSERSDIR ?= $(or $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null),/usr/lib/sysusers.d)
TMPFILESDIR ?= $(or $(shell pkg-config --variable=tmpfilesdir systemd 2>/dev/null),/usr/lib/tmpfiles.d)
NGINXDIR ?= /etc/nginx/sites-available
DESTDIR  ?=

CC       ?= cc
# The library's layers, lowest first (below: what each may use).
LAYERS   := base parse db secret store vcs scan job
PKGS     := libpq json-c openssl libcurl libgit2 libcryptsetup libseccomp \
            yaml-0.1 libsystemd libjwt libxcrypt fcgi libzip
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-unused-parameter
# CFLAGS, CPPFLAGS and LDFLAGS given to make (Debian's build flags, say)
# come first; what Lethe needs is added to them.
CFLAGS   ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -fstack-protector-strong -fPIE \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
override CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 $(LAYERS:%=-Ilib/%) \
            -DLETHE_SQL_DIR='"$(DATADIR)/sql"' -DLETHE_DATADIR='"$(DATADIR)"' -DLETHE_LIBEXEC='"$(LIBEXEC)"' \
            -DLETHE_UNITDIR='"$(UNITDIR)"' \
            -DLETHE_VERSION='"$(VERSION)"'
override LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

ifdef CI
override CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
override CPPFLAGS += -U_FORTIFY_SOURCE
override LDFLAGS += -fsanitize=address,undefined
endif

# Every executable: one name, its main source, and optional helper sources
# that share its prefix (ctl/ctl-*.c belong to lethectl, and so on); both
# FastCGI handlers also link fcgi/fcgi-http.c.
BINS := lethectl lethe-hook lethe-api lethe-scan lethe-report lethe-scrub lethe-rotate \
        lethe-drain lethe-analyze lethe-llm-proxy lethe-agent lethe-fix lethe-fetch
SRC_lethectl      := ctl/lethectl.c $(wildcard ctl/ctl-*.c)
SRC_lethe-hook    := fcgi/lethe-hook.c $(wildcard fcgi/hook-*.c) fcgi/fcgi-http.c
SRC_lethe-api     := fcgi/lethe-api.c $(wildcard fcgi/api-*.c) fcgi/fcgi-http.c
SRC_lethe-scan    := jobs/lethe-scan.c
SRC_lethe-report  := jobs/lethe-report.c
SRC_lethe-scrub   := jobs/lethe-scrub.c
SRC_lethe-rotate  := jobs/lethe-rotate.c
SRC_lethe-drain   := jobs/lethe-drain.c
SRC_lethe-analyze := analyze/lethe-analyze.c $(wildcard analyze/an-*.c)
SRC_lethe-llm-proxy := jobs/lethe-llm-proxy.c
SRC_lethe-agent   := jobs/lethe-agent.c
SRC_lethe-fix     := jobs/lethe-fix.c
SRC_lethe-fetch   := jobs/lethe-fetch.c

# Only build what exists yet, so the tree builds at every commit.
PRESENT   := $(foreach b,$(BINS),$(if $(wildcard $(firstword $(SRC_$(b)))),$(b)))
BIN_PATHS := $(addprefix bin/,$(PRESENT))

# The library, one layer per concern, each its own archive.  A layer may
# use only the layers it names (`make layers` checks the #include lines);
# a program links only the layers it names, so lethe-analyze and
# lethe-agent, which run in the sandbox, cannot reach keys or the database.
DEPS_base   :=
DEPS_parse  := base
DEPS_db     := base
DEPS_secret := base parse db
DEPS_store  := base parse db secret
DEPS_vcs    := base parse db secret store
DEPS_scan   := base parse
DEPS_job    := base parse db secret store vcs scan
LAYERS_lethectl      := base parse db secret store
LAYERS_lethe-hook    := base parse db secret store vcs
LAYERS_lethe-api     := base parse db secret store
LAYERS_lethe-scan    := base parse db secret store vcs scan job
LAYERS_lethe-fix     := base parse db secret store vcs scan job
LAYERS_lethe-report  := base parse db secret store vcs
LAYERS_lethe-scrub   := base parse db store scan
LAYERS_lethe-rotate  := base parse db secret store
LAYERS_lethe-drain   := base parse db secret store
LAYERS_lethe-analyze := base parse
LAYERS_lethe-llm-proxy := base parse db secret vcs
LAYERS_lethe-agent   := base parse
LAYERS_lethe-fetch   := base parse scan
# Highest layer first, as the linker reads archives.
reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
layer_libs = $(foreach l,$(call reverse,$(1)),build/liblethe-$(l).a)
LIB_ALL  := $(call layer_libs,$(LAYERS))
$(foreach l,$(LAYERS),$(eval LIB_OBJ_$(l) := $(patsubst %.c,build/%.o,$(wildcard lib/$(l)/*.c))))

UNIT_SRC := $(wildcard tests/unit/*_test.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
# Programs the shell tests drive (tests/NAME.c -> build/tests/helpers/NAME),
# built with the same flags as the rest, sanitizers included.
HELPER_SRC := $(wildcard tests/*.c)
HELPER_BIN := $(HELPER_SRC:tests/%.c=build/tests/helpers/%)

# The benchmarks' own programs (bench/NAME.c -> build/bench/NAME).
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

FUZZ_SRC := $(wildcard fuzz/*_fuzz.c)

# The objects of tests and helpers are kept, not removed as intermediate.
.SECONDARY:
.PHONY: all programs deps layers check test unit install up down demo demo-fix bench fuzz deb clean help
all: $(BIN_PATHS) $(UNIT_BIN) $(HELPER_BIN) $(BENCH_BIN)
programs: $(BIN_PATHS)

help:
	@echo 'targets: all programs deps layers check install up down demo demo-fix bench fuzz deb clean'
	@echo 'options: PREFIX DESTDIR SANITIZE=1 CI=1 LETHE_PORT LETHE_RUN'

# The paths and version compiled in: objects are rebuilt when they change.
PATHS := $(VERSION) $(SBINDIR) $(LIBEXEC) $(DATADIR) $(UNITDIR)
$(shell mkdir -p build && [ "$$(cat build/paths 2>/dev/null)" = '$(PATHS)' ] || \
	echo '$(PATHS)' >build/paths)

build/%.o: %.c build/paths $(wildcard lib/*/*.h) $(wildcard fcgi/*.h ctl/*.h analyze/*.h jobs/*.h)
	@mkdir -p $(dir $@)
	@echo '  CC    $<'
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# lethe-analyze's modules also depend on their shared header.
$(patsubst %.c,build/%.o,$(wildcard analyze/*.c)): $(wildcard analyze/*.h)

define layer_rule
build/liblethe-$(1).a: $$(LIB_OBJ_$(1))
	@rm -f $$@
	@ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rule,$(l))))

define bin_rule
bin/$(1): $$(SRC_$(1):%.c=build/%.o) $$(call layer_libs,$$(LAYERS_$(1)))
	@mkdir -p bin
	@echo '  LINK  $$@'
	@$$(CC) $$(LDFLAGS) -o $$@ $$(SRC_$(1):%.c=build/%.o) $$(call layer_libs,$$(LAYERS_$(1))) $$(LDLIBS)
endef
$(foreach b,$(PRESENT),$(eval $(call bin_rule,$(b))))

build/tests/helpers/%: build/tests/%.o $(LIB_ALL)
	@mkdir -p $(dir $@)
	@echo '  LINK  $@'
	@$(CC) $(LDFLAGS) -o $@ $< $(LIB_ALL) $(LDLIBS)

build/bench/%: build/bench/%.o $(LIB_ALL)
	@mkdir -p $(dir $@)
	@echo '  LINK  $@'
	@$(CC) $(LDFLAGS) -o $@ $< $(LIB_ALL) $(LDLIBS)

# A unit test of a lethe-analyze module (tests/unit/an_NAME_test.c) includes
# analyze/an-NAME.c, to reach what is static there, and links the others.
$(foreach t,$(wildcard tests/unit/an_*_test.c),$(eval build/$(t:.c=.o): \
	analyze/$(subst _,-,$(notdir $(t:_test.c=))).c))
AN_OBJ := $(patsubst %.c,build/%.o,$(filter-out analyze/lethe-analyze.c,$(SRC_lethe-analyze)))
build/tests/an_%_test: build/tests/unit/an_%_test.o $(AN_OBJ) $(LIB_ALL)
	@mkdir -p $(dir $@)
	@echo '  LINK  $@'
	@$(CC) $(LDFLAGS) -o $@ $< $(filter-out build/analyze/an-$*.o,$(AN_OBJ)) $(LIB_ALL) $(LDLIBS)

# A unit test of the FastCGI handlers' shared module links it.
build/tests/fcgi_http_test: build/tests/unit/fcgi_http_test.o build/fcgi/fcgi-http.o $(LIB_ALL)
	@mkdir -p $(dir $@)
	@echo '  LINK  $@'
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/tests/%: build/tests/unit/%.o $(LIB_ALL)
	@mkdir -p $(dir $@)
	@echo '  LINK  $@'
	@$(CC) $(LDFLAGS) -o $@ $< $(LIB_ALL) $(LDLIBS)

deps:
	@scripts/deps

comma := ,
empty :=
space := $(empty) $(empty)
csv = $(subst $(space),$(comma),$(strip $(1)))
layers: $(LIB_ALL)
	@scripts/layers $(foreach l,$(LAYERS),layer:$(l):$(call csv,$(DEPS_$(l)))) \
	    $(foreach b,$(PRESENT),program:$(b):$(call csv,$(LAYERS_$(b))):$(call csv,$(SRC_$(b))))

# The shell tests need the local stack; it is started here and stopped after.
check: deps all
	@scripts/stack up >/dev/null
	@rc=0; prove -j1 --exec scripts/tap-exec $(UNIT_BIN) $(sort $(wildcard tests/t[0-9]*.sh)) || rc=$$?; \
	 scripts/stack down >/dev/null 2>&1; exit $$rc

unit: all
	@prove --exec scripts/tap-exec $(UNIT_BIN)

up: deps all
	@scripts/stack up

down:
	@scripts/stack down

demo: deps all
	@scripts/demo

demo-fix: deps all
	@scripts/demo-fix

bench: deps all
	@scripts/stack up >/dev/null
	@for b in bench/*; do [ -x "$$b" ] && "$$b"; done; true

# scripts/fuzz compiles with the build's defines and packages (the
# defines' shell quotes removed: it passes them unquoted).
fuzz: export LETHE_CPPFLAGS = $(subst ',,$(CPPFLAGS))
fuzz: export LETHE_PKGS = $(PKGS)
fuzz:
	@scripts/fuzz $(FUZZ_SRC)

# Installed text names the install's own paths (the sources name the
# default, PREFIX=/usr/local).
SUBST := sed -e 's|/usr/local/sbin|$(SBINDIR)|g' -e 's|/usr/local/libexec/lethe|$(LIBEXEC)|g' \
	-e 's|/usr/local/share/lethe|$(DATADIR)|g' -e 's|/lib/systemd/system|$(UNITDIR)|g'

# The ESLint tree (scripts/deps eslint) goes to $(DATADIR)/eslint, where
# eslint_path finds it; node runs it, so nothing in it is executable, and
# its documentation, source maps, type declarations and the packages' own
# dot files (.bin, .eslintrc, .npmignore, ...) are left out.
# Without DESTDIR, the users, groups and directories are made at once and
# /etc/lethe is given to root:lethe 0750 (lethe.conf goes there as 0640).
install: programs
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/sql $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(NGINXDIR)
	install -d -m 0750 $(DESTDIR)$(SYSCONF)
	for b in $(filter-out lethe-analyze lethe-agent lethe-fetch,$(PRESENT)); do \
	    install -m 0755 bin/$$b $(DESTDIR)$(SBINDIR)/$$b; done
	$(if $(filter lethe-analyze,$(PRESENT)),install -m 0755 bin/lethe-analyze $(DESTDIR)$(LIBEXEC)/)
	$(if $(filter lethe-agent,$(PRESENT)),install -m 0755 bin/lethe-agent $(DESTDIR)$(LIBEXEC)/)
	$(if $(filter lethe-fetch,$(PRESENT)),install -m 0755 bin/lethe-fetch $(DESTDIR)$(LIBEXEC)/)
	install -m 0644 sql/*.sql $(DESTDIR)$(DATADIR)/sql/
	install -d $(DESTDIR)$(DATADIR)/web/js/pages
	install -m 0644 web/*.html web/*.css web/*.svg $(DESTDIR)$(DATADIR)/web/
	install -m 0644 web/js/*.js $(DESTDIR)$(DATADIR)/web/js/
	install -m 0644 web/js/pages/*.js $(DESTDIR)$(DATADIR)/web/js/pages/
	scripts/deps eslint
	rm -rf $(DESTDIR)$(DATADIR)/eslint
	cp -R build/tools/eslint $(DESTDIR)$(DATADIR)/eslint
	find $(DESTDIR)$(DATADIR)/eslint/node_modules -name '.*' -prune -exec rm -rf {} +
	find $(DESTDIR)$(DATADIR)/eslint -type f \( -name '*.md' -o -name '*.map' -o -name '*.d.ts' \) \
	    ! -path '*/typescript/lib/*' -delete
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)/eslint
	find $(DESTDIR)$(DATADIR)/eslint -type f -exec chmod a-x {} +
	for m in man/*.5 man/*.8; do \
	    $(SUBST) $$m >$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/} || exit 1; done
	for u in systemd/*.service systemd/*.socket systemd/*.timer; do \
	    $(SUBST) $$u >$(DESTDIR)$(UNITDIR)/$${u#systemd/} || exit 1; done
	install -m 0644 systemd/lethe.sysusers $(DESTDIR)$(SYSUSERSDIR)/lethe.conf
	install -m 0644 systemd/lethe.tmpfiles $(DESTDIR)$(TMPFILESDIR)/lethe.conf
	$(SUBST) nginx/lethe.conf >$(DESTDIR)$(NGINXDIR)/lethe
	$(SUBST) lethe.conf.example >$(DESTDIR)$(SYSCONF)/lethe.conf.example
	chmod 0640 $(DESTDIR)$(SYSCONF)/lethe.conf.example
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
	    systemd-sysusers $(SYSUSERSDIR)/lethe.conf && \
	    systemd-tmpfiles --create $(TMPFILESDIR)/lethe.conf && \
	    chgrp lethe $(SYSCONF) $(SYSCONF)/lethe.conf.example; fi

clean:
	rm -rf build bin

# The Debian package, built with debhelper (debian/) from a copy of the
# tree: build/deb/lethe_VERSION-1_ARCH.deb, with its -dbgsym.
deb:
	rm -rf build/deb && mkdir -p build/deb/lethe-$(VERSION)
	tar -c --exclude=./build --exclude=./bin --exclude=./run --exclude=./.git . | \
	    tar -x -C build/deb/lethe-$(VERSION)
	cd build/deb/lethe-$(VERSION) && dpkg-buildpackage -us -uc -b
	@ls build/deb/lethe_$(VERSION)-1_*.deb
