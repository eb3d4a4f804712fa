# SPDX-License-Identifier: GPL-2.0-or-later
# module.mk — Kamailio-style makefile of the acm module.
#
# Not run directly: kamailio-module/Makefile links it as build/Makefile and
# runs it inside build/ with COREPATH (the configured Kamailio source tree's
# src/), ACM_INCLUDE, ACM_STATICLIB and ACM_NATIVE_LIBS set. Using Kamailio's
# own Makefile.defs gives the module exactly the compile flags (and so the
# module_flags string) of the installed binary.

ifeq ($(COREPATH),)
$(error COREPATH is not set: run make -C kamailio-module, not this file)
endif

include $(COREPATH)/Makefile.defs
auto_gen=
NAME=acm.so

DEFS += -I$(COREPATH) -I$(ACM_INCLUDE)
# The Rust engine, linked in whole: one self-contained acm.so whose Rust
# symbols stay private (only Kamailio's module symbols are exported).
LIBS += $(ACM_STATICLIB) $(ACM_NATIVE_LIBS) -Wl,--exclude-libs,ALL

include $(COREPATH)/Makefile.modules

# relink when the engine changes
$(NAME): $(ACM_STATICLIB) $(ACM_INCLUDE)/acm.h
acm_mod.o: $(ACM_INCLUDE)/acm.h
