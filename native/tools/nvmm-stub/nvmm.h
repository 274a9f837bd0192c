/*
 * A minimal stand-in for libnvmm's <nvmm.h> (NetBSD 10 / -current, x86_64), written from
 * ../shared/reference/nvmm-kvm.md, NOT from NetBSD's sources. It exists only so that the NVMM backend can be
 * compile-checked (g++ -fsyntax-only) on machines without NVMM, by test/backends/hardware.test.ts. It is
 * never shipped and never linked: field order, sizes and values of the real header may differ, and the
 * backend must be built against the real <nvmm.h> on NetBSD, DragonFly or Haiku.
 */
#ifndef BV_NVMM_STUB_H
#define BV_NVMM_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVMM_KERN_VERSION 2
#define NVMM_USER_VERSION 2

typedef uint64_t gpaddr_t;
typedef uint64_t gvaddr_t;
typedef uint32_t nvmm_machid_t;
typedef uint32_t nvmm_cpuid_t;
typedef uint64_t nvmm_prot_t;

#define NVMM_PROT_READ 0x01
#define NVMM_PROT_WRITE 0x02
#define NVMM_PROT_EXEC 0x04
#define NVMM_PROT_USER 0x08
#define NVMM_PROT_ALL 0x0F

/* State indices. */
#define NVMM_X64_SEG_ES 0
#define NVMM_X64_SEG_CS 1
#define NVMM_X64_SEG_SS 2
#define NVMM_X64_SEG_DS 3
#define NVMM_X64_SEG_FS 4
#define NVMM_X64_SEG_GS 5
#define NVMM_X64_SEG_GDT 6
#define NVMM_X64_SEG_IDT 7
#define NVMM_X64_SEG_LDT 8
#define NVMM_X64_SEG_TR 9
#define NVMM_X64_NSEG 10

#define NVMM_X64_GPR_RAX 0
#define NVMM_X64_GPR_RCX 1
#define NVMM_X64_GPR_RDX 2
#define NVMM_X64_GPR_RBX 3
#define NVMM_X64_GPR_RSP 4
#define NVMM_X64_GPR_RBP 5
#define NVMM_X64_GPR_RSI 6
#define NVMM_X64_GPR_RDI 7
#define NVMM_X64_GPR_R8 8
#define NVMM_X64_GPR_R15 15
#define NVMM_X64_GPR_RIP 16
#define NVMM_X64_GPR_RFLAGS 17
#define NVMM_X64_NGPR 18

#define NVMM_X64_CR_CR0 0
#define NVMM_X64_CR_CR2 1
#define NVMM_X64_CR_CR3 2
#define NVMM_X64_CR_CR4 3
#define NVMM_X64_CR_CR8 4
#define NVMM_X64_CR_XCR0 5
#define NVMM_X64_NCR 6

#define NVMM_X64_DR_DR0 0
#define NVMM_X64_DR_DR1 1
#define NVMM_X64_DR_DR2 2
#define NVMM_X64_DR_DR3 3
#define NVMM_X64_DR_DR6 4
#define NVMM_X64_DR_DR7 5
#define NVMM_X64_NDR 6

#define NVMM_X64_MSR_EFER 0
#define NVMM_X64_MSR_STAR 1
#define NVMM_X64_MSR_LSTAR 2
#define NVMM_X64_MSR_CSTAR 3
#define NVMM_X64_MSR_SFMASK 4
#define NVMM_X64_MSR_KERNELGSBASE 5
#define NVMM_X64_MSR_SYSENTER_CS 6
#define NVMM_X64_MSR_SYSENTER_ESP 7
#define NVMM_X64_MSR_SYSENTER_EIP 8
#define NVMM_X64_MSR_PAT 9
#define NVMM_X64_MSR_TSC 10
#define NVMM_X64_NMSR 11

struct nvmm_x64_state_seg {
  uint16_t selector;
  struct {
    uint16_t type : 4;
    uint16_t s : 1;
    uint16_t dpl : 2;
    uint16_t p : 1;
    uint16_t avl : 1;
    uint16_t l : 1;
    uint16_t def : 1;
    uint16_t g : 1;
    uint16_t rsvd : 4;
  } attrib;
  uint32_t limit;
  uint64_t base;
};

struct nvmm_x64_state_intr {
  uint64_t int_shadow : 1;
  uint64_t int_window_exiting : 1;
  uint64_t nmi_window_exiting : 1;
  uint64_t evt_pending : 1;
  uint64_t rsvd : 60;
};

struct fxsave {
  uint8_t fx_bytes[512];
};

struct nvmm_x64_state {
  struct nvmm_x64_state_seg segs[NVMM_X64_NSEG];
  uint64_t gprs[NVMM_X64_NGPR];
  uint64_t crs[NVMM_X64_NCR];
  uint64_t drs[NVMM_X64_NDR];
  uint64_t msrs[NVMM_X64_NMSR];
  struct nvmm_x64_state_intr intr;
  struct fxsave fpu;
};
#define nvmm_vcpu_state nvmm_x64_state

#define NVMM_X64_STATE_SEGS 0x01
#define NVMM_X64_STATE_GPRS 0x02
#define NVMM_X64_STATE_CRS 0x04
#define NVMM_X64_STATE_DRS 0x08
#define NVMM_X64_STATE_MSRS 0x10
#define NVMM_X64_STATE_INTR 0x20
#define NVMM_X64_STATE_FPU 0x40
#define NVMM_X64_STATE_ALL 0x7F

/* Exits. */
#define NVMM_VCPU_EXIT_NONE 0x0000000000000000ULL
#define NVMM_VCPU_EXIT_STOPPED 0xFFFFFFFFFFFFFFFEULL
#define NVMM_VCPU_EXIT_INVALID 0xFFFFFFFFFFFFFFFFULL
#define NVMM_VCPU_EXIT_MEMORY 0x0000000000000001ULL
#define NVMM_VCPU_EXIT_IO 0x0000000000000002ULL
#define NVMM_VCPU_EXIT_SHUTDOWN 0x0000000000001000ULL
#define NVMM_VCPU_EXIT_INT_READY 0x0000000000001001ULL
#define NVMM_VCPU_EXIT_NMI_READY 0x0000000000001002ULL
#define NVMM_VCPU_EXIT_HALTED 0x0000000000001003ULL
#define NVMM_VCPU_EXIT_TPR_CHANGED 0x0000000000001004ULL
#define NVMM_VCPU_EXIT_RDMSR 0x0000000000002000ULL
#define NVMM_VCPU_EXIT_WRMSR 0x0000000000002001ULL
#define NVMM_VCPU_EXIT_MONITOR 0x0000000000002002ULL
#define NVMM_VCPU_EXIT_MWAIT 0x0000000000002003ULL
#define NVMM_VCPU_EXIT_CPUID 0x0000000000002004ULL

struct nvmm_x86_exit_memory {
  int prot;
  gpaddr_t gpa;
  uint8_t inst_len;
  uint8_t inst_bytes[15];
};

struct nvmm_x86_exit_io {
  bool in;
  uint16_t port;
  int8_t seg;
  uint8_t address_size;
  uint8_t operand_size;
  bool rep;
  bool str;
  uint64_t npc;
};

struct nvmm_x86_exit_rdmsr {
  uint32_t msr;
  uint64_t npc;
};

struct nvmm_x86_exit_wrmsr {
  uint32_t msr;
  uint64_t val;
  uint64_t npc;
};

struct nvmm_x86_exit_insn {
  uint64_t npc;
};

struct nvmm_x86_exit_invalid {
  uint64_t hwcode;
};

struct nvmm_x86_exit {
  uint64_t reason;
  union {
    struct nvmm_x86_exit_memory mem;
    struct nvmm_x86_exit_io io;
    struct nvmm_x86_exit_rdmsr rdmsr;
    struct nvmm_x86_exit_wrmsr wrmsr;
    struct nvmm_x86_exit_insn insn;
    struct nvmm_x86_exit_invalid inv;
  } u;
  struct {
    uint64_t rflags;
    uint64_t cr8;
    uint64_t int_shadow : 1;
    uint64_t int_window_exiting : 1;
    uint64_t nmi_window_exiting : 1;
    uint64_t evt_pending : 1;
    uint64_t rsvd : 60;
  } exitstate;
};
#define nvmm_vcpu_exit nvmm_x86_exit

/* Events. */
#define NVMM_VCPU_EVENT_EXCP 0
#define NVMM_VCPU_EVENT_INTR 1

struct nvmm_x86_event {
  unsigned int type;
  uint8_t vector;
  union {
    struct {
      uint64_t error;
    } excp;
  } u;
};
#define nvmm_vcpu_event nvmm_x86_event

/* Assists. */
struct nvmm_machine;
struct nvmm_vcpu;

struct nvmm_io {
  struct nvmm_machine* mach;
  struct nvmm_vcpu* vcpu;
  uint16_t port;
  bool in;
  size_t size;
  uint8_t* data;
};

struct nvmm_mem {
  struct nvmm_machine* mach;
  struct nvmm_vcpu* vcpu;
  gpaddr_t gpa;
  bool write;
  size_t size;
  uint8_t* data;
};

struct nvmm_assist_callbacks {
  void (*io)(struct nvmm_io*);
  void (*mem)(struct nvmm_mem*);
};

#define NVMM_VCPU_CONF_CALLBACKS 0
#define NVMM_VCPU_CONF_CPUID 200
#define NVMM_VCPU_CONF_TPR 201

struct nvmm_cap_md {
  uint64_t mach_conf_support;
  uint64_t vcpu_conf_support;
  uint64_t xcr0_mask;
  uint32_t mxcsr_mask;
  uint32_t conf_cpuid_maxops;
  uint64_t rsvd[6];
};

struct nvmm_capability {
  uint32_t version;
  uint32_t state_size;
  uint32_t max_machines;
  uint32_t max_vcpus;
  uint64_t max_ram;
  struct nvmm_cap_md arch;
};

struct nvmm_machine {
  nvmm_machid_t machid;
  struct nvmm_comm_page** pages;
  void* areas;
};

struct nvmm_vcpu {
  nvmm_cpuid_t cpuid;
  struct nvmm_assist_callbacks cbs;
  struct nvmm_vcpu_state* state;
  struct nvmm_vcpu_event* event;
  struct nvmm_vcpu_exit* exit;
  volatile int* stop;
};

#ifdef __cplusplus
extern "C" {
#endif

int nvmm_init(void);
int nvmm_root_init(void);
int nvmm_capability(struct nvmm_capability*);
int nvmm_machine_create(struct nvmm_machine*);
int nvmm_machine_destroy(struct nvmm_machine*);
int nvmm_machine_configure(struct nvmm_machine*, uint64_t, void*);
int nvmm_vcpu_create(struct nvmm_machine*, nvmm_cpuid_t, struct nvmm_vcpu*);
int nvmm_vcpu_destroy(struct nvmm_machine*, struct nvmm_vcpu*);
int nvmm_vcpu_configure(struct nvmm_machine*, struct nvmm_vcpu*, uint64_t, void*);
int nvmm_vcpu_getstate(struct nvmm_machine*, struct nvmm_vcpu*, uint64_t);
int nvmm_vcpu_setstate(struct nvmm_machine*, struct nvmm_vcpu*, uint64_t);
int nvmm_vcpu_inject(struct nvmm_machine*, struct nvmm_vcpu*);
int nvmm_vcpu_run(struct nvmm_machine*, struct nvmm_vcpu*);
int nvmm_vcpu_stop(struct nvmm_vcpu*);
int nvmm_hva_map(struct nvmm_machine*, uintptr_t, size_t);
int nvmm_hva_unmap(struct nvmm_machine*, uintptr_t, size_t);
int nvmm_gpa_map(struct nvmm_machine*, uintptr_t, gpaddr_t, size_t, int);
int nvmm_gpa_unmap(struct nvmm_machine*, uintptr_t, gpaddr_t, size_t);
int nvmm_gva_to_gpa(struct nvmm_machine*, struct nvmm_vcpu*, gvaddr_t, gpaddr_t*, nvmm_prot_t*);
int nvmm_gpa_to_hva(struct nvmm_machine*, gpaddr_t, uintptr_t*, nvmm_prot_t*);
int nvmm_assist_io(struct nvmm_machine*, struct nvmm_vcpu*);
int nvmm_assist_mem(struct nvmm_machine*, struct nvmm_vcpu*);

#ifdef __cplusplus
}
#endif

#endif /* BV_NVMM_STUB_H */
