#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include "driver/ppm_events_public.h"
#include "driver/flags_table.c"
#include "driver/dynamic_params_table.c"
#include "driver/event_table.c"
static const char *pt_names[] = {"NONE","INT8","INT16","INT32","INT64","UINT8","UINT16","UINT32","UINT64","CHARBUF","BYTEBUF","ERRNO","SOCKADDR","SOCKTUPLE","FD","PID","FDLIST","FSPATH","SYSCALLID","SIGTYPE","RELTIME","ABSTIME","PORT","L4PROTO","SOCKFAMILY","BOOL","IPV4ADDR","DYN","FLAGS8","FLAGS16","FLAGS32","UID","GID","DOUBLE","SIGSET","CHARBUFARRAY","CHARBUF_PAIR_ARRAY","IPV4NET","IPV6ADDR","IPV6NET","IPADDR","IPNET","MODE","FSRELPATH","ENUMFLAGS8","ENUMFLAGS16","ENUMFLAGS32","FD32","PID32"};
#define PPM_SC_X(name, value) [value] = #name,
static const char *sc_names[PPM_SC_MAX] = { PPM_SC_FIELDS };
/* Prints src/import/scap/event_table.rs. Build from a falcosecurity/libs checkout:
 *   gcc -w -I. -Idriver -DUDIG -o gen path/to/event_table.c && ./gen > event_table.rs
 * then `cargo fmt`. */
int main(void){
  printf("// @generated from falcosecurity/libs driver/event_table.c, driver/ppm_events_public.h and\n");
  printf("// driver/dynamic_params_table.c at commit 48dfd53cd23f (event ids, names, categories, flags,\n");
  printf("// parameter names and types; facts, re-stated as data). Regenerate rather than edit.\n\n");
  printf("use super::event::{EventInfo, ParamInfo, pt};\n\n");
  printf("const fn p(name: &'static str, ty: u8) -> ParamInfo {\n    ParamInfo { name, ty, dyn_types: &[] }\n}\n\n");
  printf("const fn dy(name: &'static str, dyn_types: &'static [u8]) -> ParamInfo {\n    ParamInfo { name, ty: pt::DYN, dyn_types }\n}\n\n");
  printf("const fn e(name: &'static str, category: u32, flags: u32, params: &'static [ParamInfo]) -> EventInfo {\n    EventInfo { name, category, flags, params }\n}\n\n");
  printf("/// Number of event types in the table (`PPM_EVENT_MAX`).\npub const EVENT_MAX: usize = %d;\n\n", PPM_EVENT_MAX);
  printf("/// Every event type, indexed by its id.\n#[rustfmt::skip]\npub static EVENTS: [EventInfo; EVENT_MAX] = [\n");
  for (int i = 0; i < PPM_EVENT_MAX; i++) {
    const struct ppm_event_info *e = &g_event_info[i];
    printf("    /* %d */ e(\"%s\", %u, %u, &[", i, e->name, (unsigned)e->category, (unsigned)e->flags);
    for (unsigned j = 0; j < e->nparams; j++) {
      const struct ppm_param_info *pi = &e->params[j];
      if (j) printf(", ");
      if (pi->type == PT_DYN) {
        const struct ppm_param_info *d = (const struct ppm_param_info *)pi->info;
        printf("dy(\"%s\", &[", pi->name);
        for (unsigned k = 0; k < pi->ninfo; k++) printf("%spt::%s", k ? ", " : "", pt_names[d[k].type]);
        printf("])");
      } else {
        printf("p(\"%s\", pt::%s)", pi->name, pt_names[pi->type]);
      }
    }
    printf("]),\n");
  }
  printf("];\n\n");
  printf("/// Names of `ppm_sc` syscall codes (the `ID` parameter of generic `syscall` events), lower case.\n#[rustfmt::skip]\npub static PPM_SC_NAMES: [&str; %d] = [\n", PPM_SC_MAX);
  for (int i = 0; i < PPM_SC_MAX; i++) {
    char buf[128]; const char *n = sc_names[i] ? sc_names[i] : "";
    size_t k; for (k = 0; n[k] && k < 127; k++) buf[k] = (n[k] >= 'A' && n[k] <= 'Z') ? n[k] + 32 : n[k]; buf[k] = 0;
    printf("    \"%s\",\n", buf);
  }
  printf("];\n");
  return 0;
}
