<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
  var id = int.Parse(Request.QueryString["id"]);
  System.Diagnostics.Process.Start("C:\\Reports\\report.exe", id.ToString());
}
</script>
