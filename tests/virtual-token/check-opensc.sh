#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# OpenSC, an implementation we did not write, as the oracle of the emulator's fidelity: run inside
# tests/pcsc-harness. The Oberthur profile must be named IAS-ECC by OpenSC's own driver, through
# OpenSC's IAS-ECC initialisation (MF by AID, EF.ATR parsing, serial).
set -eu
name=$(opensc-tool -n 2>/dev/null | tail -n 1)
echo "opensc-tool -n: $name"
[ "$name" = "IAS-ECC" ]
