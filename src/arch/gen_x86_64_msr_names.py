#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate src/arch/x86_64_msr_names.h: the names of every MSR that
KVM_GET_MSR_INDEX_LIST can return on Linux 7.2, plus a few architectural MSRs
that VMMs save although KVM does not list them.

Input (facts only, nothing copied): the three MSR lists in
arch/x86/kvm/x86.c (msrs_to_save_base, msrs_to_save_pmu, emulated_msrs_all)
of a Linux source tree, with the MSR numbers resolved from
arch/x86/include/asm/msr-index.h, arch/x86/include/asm/perf_event.h,
arch/x86/include/uapi/asm/kvm_para.h, arch/x86/include/uapi/asm/mtrr.h,
include/hyperv/hvgdk_mini.h and arch/x86/kvm/hyperv.h.

Usage: gen_x86_64_msr_names.py [LINUX_TREE] > src/arch/x86_64_msr_names.h
(LINUX_TREE defaults to $KVMREG_CACHE/linux-source-7.2).
"""
import os
import re
import sys

HEADERS = [
    "arch/x86/include/asm/msr-index.h",
    "arch/x86/include/asm/perf_event.h",
    "arch/x86/include/uapi/asm/kvm_para.h",
    "arch/x86/include/uapi/asm/mtrr.h",
    "include/hyperv/hvgdk_mini.h",
    "arch/x86/kvm/hyperv.h",
]
LISTS = ["msrs_to_save_base", "msrs_to_save_pmu", "emulated_msrs_all"]

# Saved by VMMs (QEMU's kvm_put_msrs) though absent from KVM's lists: EFER
# and the segment bases mirror sregs, the MTRRs and MCG_CAP are state.
EXTRAS = (["MSR_EFER", "MSR_FS_BASE", "MSR_GS_BASE", "MSR_IA32_APICBASE",
           "MSR_IA32_MCG_CAP", "MSR_IA32_MPERF", "MSR_IA32_APERF",
           "MSR_KVM_MIGRATION_CONTROL", "MSR_MTRRcap", "MSR_MTRRdefType",
           "MSR_MTRRfix64K_00000", "MSR_MTRRfix16K_80000",
           "MSR_MTRRfix16K_A0000"] +
          ["MSR_MTRRfix4K_%s" % a for a in
           ("C0000", "C8000", "D0000", "D8000", "E0000", "E8000", "F0000",
            "F8000")] +
          ["MTRRphys%s_MSR(%d)" % (k, n) for n in range(8)
           for k in ("Base", "Mask")])

# Where the kernel's macro drops the SDM's IA32_ prefix (or renames), the
# short name is the SDM's.
SDM_NAMES = {
    "EFER": "IA32_EFER", "STAR": "IA32_STAR", "LSTAR": "IA32_LSTAR",
    "CSTAR": "IA32_CSTAR", "SYSCALL_MASK": "IA32_FMASK",
    "FS_BASE": "IA32_FS_BASE", "GS_BASE": "IA32_GS_BASE",
    "KERNEL_GS_BASE": "IA32_KERNEL_GS_BASE", "TSC_AUX": "IA32_TSC_AUX",
    "IA32_CR_PAT": "IA32_PAT", "IA32_FEAT_CTL": "IA32_FEATURE_CONTROL",
    "IA32_DEBUGCTLMSR": "IA32_DEBUGCTL",
    "MTRRcap": "IA32_MTRRCAP", "MTRRdefType": "IA32_MTRR_DEF_TYPE",
}

DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)(\(\w+\))?\s+(.*)$")


def strip_comment(text):
    text = re.sub(r"/\*.*?\*/", " ", text)
    return text.split("//")[0].strip()


def read_macros(tree):
    macros, functions = {}, {}
    for rel in HEADERS:
        with open(os.path.join(tree, rel)) as f:
            for line in f:
                m = DEFINE.match(line)
                if not m:
                    continue
                body = strip_comment(m.group(3))
                if m.group(2):
                    functions[m.group(1)] = (m.group(2)[1:-1], body)
                elif body:
                    macros.setdefault(m.group(1), body)
    return macros, functions


def evaluate(expr, macros, functions, depth=0):
    if depth > 20:
        raise ValueError("macro recursion in %r" % expr)
    fm = re.fullmatch(r"\s*(\w+)\((\w+)\)\s*", expr)
    if fm and fm.group(1) in functions:
        param, body = functions[fm.group(1)]
        expr = re.sub(r"\b%s\b" % param, fm.group(2), body)

    def name_value(m):
        word = m.group(0)
        if re.fullmatch(r"0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*", word):
            return str(int(word.rstrip("uUlL"), 0))
        if word in macros:
            return str(evaluate(macros[word], macros, functions, depth + 1))
        raise ValueError("unknown name %s" % word)

    py = re.sub(r"\b\w+\b", name_value, expr)
    if not re.fullmatch(r"[\d\s+\-*()<>|]*", py):
        raise ValueError("cannot evaluate %r" % expr)
    return eval(py)  # only digits and arithmetic remain


def read_lists(tree):
    with open(os.path.join(tree, "arch/x86/kvm/x86.c")) as f:
        source = f.read()
    entries = []
    for name in LISTS:
        m = re.search(r"\b%s\[\]\s*=\s*\{(.*?)\n\};" % name, source, re.S)
        if not m:
            sys.exit("x86.c: list %s not found" % name)
        body = "\n".join(l for l in m.group(1).splitlines()
                         if not l.strip().startswith("#"))
        body = re.sub(r"/\*.*?\*/", " ", body, flags=re.S)
        entries += [e.strip() for e in body.split(",") if e.strip()]
    return entries


def names_for(expr, value, macros, functions):
    """(short name, kernel expression) of one list entry."""
    kernel = " ".join(expr.split())
    plus = re.fullmatch(r"(\w+?)(\d+) \+ (\d+)", kernel)
    if plus:
        # MSR_ARCH_PERFMON_PERFCTR0 + 2: the kernel's own name for the
        # number if it has one with that stem, else the stem numbered on.
        stem, first, offset = plus.group(1), plus.group(2), plus.group(3)
        named = stem + str(int(first) + int(offset))
        if named in macros and evaluate(named, macros, functions) == value:
            kernel = named
        short_base = named
    else:
        short_base = kernel
    fm = re.fullmatch(r"MTRRphys(Base|Mask)_MSR\((\d+)\)", kernel)
    if fm:
        return "IA32_MTRR_PHYS%s%s" % (fm.group(1).upper(), fm.group(2)), kernel
    short = short_base[4:] if short_base.startswith("MSR_") else short_base
    fix = re.fullmatch(r"MTRRfix(\w+)", short)
    if fix:
        return "IA32_MTRR_FIX" + fix.group(1).upper(), kernel
    return SDM_NAMES.get(short, short), kernel


def main():
    default = os.path.join(os.environ.get("KVMREG_CACHE", "/var/cache/kvmreg"),
                           "linux-source-7.2")
    tree = sys.argv[1] if len(sys.argv) > 1 else default
    macros, functions = read_macros(tree)
    by_index, shorts = {}, {}
    for expr in read_lists(tree) + EXTRAS:
        value = evaluate(expr, macros, functions)
        if value in by_index:
            continue
        short, kernel = names_for(expr, value, macros, functions)
        if short in shorts:
            sys.exit("short name %s used for 0x%x and 0x%x" %
                     (short, shorts[short], value))
        shorts[short] = value
        by_index[value] = (short, kernel)
    print("/* SPDX-License-Identifier: MIT */")
    print("/*")
    print(" * Generated by src/arch/gen_x86_64_msr_names.py from the Linux 7.2")
    print(" * tree (arch/x86/kvm/x86.c msrs_to_save_base, msrs_to_save_pmu,")
    print(" * emulated_msrs_all; numbers from msr-index.h, perf_event.h,")
    print(" * kvm_para.h, mtrr.h, hvgdk_mini.h, kvm/hyperv.h), plus the")
    print(" * generator's EXTRAS.")
    print(" * Do not edit: rerun the generator.")
    print(" *")
    print(" * X86_MSR(index, short name, kernel expression), sorted by index.")
    print(" */")
    for value in sorted(by_index):
        short, kernel = by_index[value]
        print('X86_MSR(0x%08x, "%s", "%s")' % (value, short, kernel))


if __name__ == "__main__":
    main()
