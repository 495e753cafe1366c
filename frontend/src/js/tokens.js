// API token shown once: copy it to the clipboard.
export function tokenCopy() {
  return {
    copied: false,
    async copy() {
      const field = this.$refs.secret;
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        field.select();
        document.execCommand("copy");
      }
      this.copied = true;
    },
  };
}
