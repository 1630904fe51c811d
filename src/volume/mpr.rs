//! Slice views in patient space: which plane a viewport shows, where its centre and zoom are, and
//! the mapping screen uv → texture coordinates that the GPU uses. The CPU sampler here is the
//! reference the shader is tested against.

use nalgebra::{Matrix4, Point3, Rotation3, Unit, Vector2, Vector3};
use serde::Serialize;

use super::geometry::Geometry;
use super::voxels::Volume;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Plane {
    /// Viewed from the feet: patient right on screen left, anterior up.
    Axial,
    /// Viewed from the front: patient right on screen left, superior up.
    Coronal,
    /// Viewed from the patient's left: anterior on screen left, superior up.
    Sagittal,
    /// The acquisition grid as stored (2D images, cines).
    Native,
    /// Any orientation through the focus point (normal = right × down), rotated by the user.
    Oblique(Oblique),
}

/// An oblique plane's screen axes in LPS (orthonormal). Starts as the axial view; `tilt` and
/// `spin` rotate it about the focus point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Oblique {
    pub right: Vector3<f64>,
    pub down: Vector3<f64>,
}

impl Default for Oblique {
    fn default() -> Self {
        Oblique { right: Vector3::x(), down: Vector3::y() }
    }
}

impl Oblique {
    /// The plane's normal (right × down; +z for the starting axial orientation).
    pub fn normal(&self) -> Vector3<f64> {
        self.right.cross(&self.down)
    }

    /// Rotates the plane by `radians` about its screen-right axis: the top of the screen comes
    /// towards the viewer. From axial, +90° gives the coronal plane (superior up).
    pub fn tilt(&mut self, radians: f64) {
        let r = Rotation3::from_axis_angle(&Unit::new_normalize(self.right), -radians);
        self.down = r * self.down;
        self.orthonormalise();
    }

    /// Rotates the plane by `radians` about its screen-down axis.
    pub fn spin(&mut self, radians: f64) {
        let r = Rotation3::from_axis_angle(&Unit::new_normalize(self.down), radians);
        self.right = r * self.right;
        self.orthonormalise();
    }

    /// Rotates about the normal (in-plane rotation of the image).
    pub fn roll(&mut self, radians: f64) {
        let r = Rotation3::from_axis_angle(&Unit::new_normalize(self.normal()), radians);
        self.right = r * self.right;
        self.down = r * self.down;
        self.orthonormalise();
    }

    fn orthonormalise(&mut self) {
        let r = self.right.normalize();
        let d = (self.down - r * r.dot(&self.down)).normalize();
        if r.iter().chain(d.iter()).all(|c| c.is_finite()) {
            (self.right, self.down) = (r, d);
        } else {
            *self = Oblique::default();
        }
    }
}

impl Plane {
    /// (screen right, screen down, normal) in LPS for this plane over `g`.
    pub fn axes(self, g: &Geometry) -> (Vector3<f64>, Vector3<f64>, Vector3<f64>) {
        match self {
            Plane::Axial => (Vector3::x(), Vector3::y(), Vector3::z()),
            Plane::Coronal => (Vector3::x(), -Vector3::z(), Vector3::y()),
            Plane::Sagittal => (Vector3::y(), -Vector3::z(), Vector3::x()),
            Plane::Native => {
                let (r, d) = (g.direction(0), g.direction(1));
                (r, d, r.cross(&d).normalize())
            }
            Plane::Oblique(o) => (o.right, o.down, o.normal()),
        }
    }
}

/// One viewport's camera.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SliceView {
    pub plane: Plane,
    /// Screen pixels per millimetre.
    pub zoom: f64,
    /// Offset of the screen centre from the focus point, in mm along (right, down).
    pub pan: Vector2<f64>,
}

impl SliceView {
    pub fn new(plane: Plane) -> SliceView {
        SliceView { plane, zoom: 0.0, pan: Vector2::zeros() }
    }

    /// Zoom that fits the whole volume into a viewport of `size` pixels.
    pub fn fit_zoom(&self, g: &Geometry, size: [f64; 2]) -> f64 {
        let (r, d, _) = self.plane.axes(g);
        let c = g.center();
        let (mut w, mut h) = (0f64, 0f64);
        for p in g.corners() {
            w = w.max((p - c).dot(&r).abs() * 2.0);
            h = h.max((p - c).dot(&d).abs() * 2.0);
        }
        let extent_w = w + g.spacing()[0];
        let extent_h = h + g.spacing()[1];
        (size[0] / extent_w).min(size[1] / extent_h).max(1e-3)
    }

    /// Patient point at screen uv ∈ [0,1]² of a viewport of `size` pixels, on the plane through `focus`.
    pub fn patient_at(&self, g: &Geometry, focus: Point3<f64>, size: [f64; 2], uv: [f64; 2]) -> Point3<f64> {
        let (r, d, _) = self.plane.axes(g);
        let centre = focus + r * self.pan.x + d * self.pan.y;
        centre + r * ((uv[0] - 0.5) * size[0] / self.zoom) + d * ((uv[1] - 0.5) * size[1] / self.zoom)
    }

    /// Screen uv of a patient point (its projection on this plane).
    pub fn uv_of(&self, g: &Geometry, focus: Point3<f64>, size: [f64; 2], p: Point3<f64>) -> [f64; 2] {
        let (r, d, _) = self.plane.axes(g);
        let centre = focus + r * self.pan.x + d * self.pan.y;
        let rel = p - centre;
        [0.5 + rel.dot(&r) * self.zoom / size[0], 0.5 + rel.dot(&d) * self.zoom / size[1]]
    }

    /// Affine (homogeneous) taking (u, v, 0, 1) to normalised 3D texture coordinates.
    pub fn uv_to_texcoord(&self, g: &Geometry, focus: Point3<f64>, size: [f64; 2]) -> Option<Matrix4<f64>> {
        let (r, d, _) = self.plane.axes(g);
        let origin = self.patient_at(g, focus, size, [0.0, 0.0]);
        // patient(u, v) = origin + u * (r * w/zoom) + v * (d * h/zoom)
        let mut uv_to_patient = Matrix4::identity();
        uv_to_patient.fixed_view_mut::<3, 1>(0, 0).copy_from(&(r * size[0] / self.zoom));
        uv_to_patient.fixed_view_mut::<3, 1>(0, 1).copy_from(&(d * size[1] / self.zoom));
        uv_to_patient.fixed_view_mut::<3, 1>(0, 3).copy_from(&origin.coords);
        let patient_to_index = g.affine().try_inverse()?;
        // texcoord = (index + 0.5) / dims
        let mut index_to_tex = Matrix4::identity();
        for a in 0..3 {
            let n = g.dims[a].max(1) as f64;
            index_to_tex[(a, a)] = 1.0 / n;
            index_to_tex[(a, 3)] = 0.5 / n;
        }
        Some(index_to_tex * patient_to_index * uv_to_patient)
    }

    /// Distance (mm) one wheel notch moves along the normal: the grid step most aligned with it.
    pub fn slice_step(&self, g: &Geometry) -> f64 {
        let (_, _, n) = self.plane.axes(g);
        (0..3)
            .map(|a| g.axes.column(a).into_owned())
            .max_by(|a, b| a.normalize().dot(&n).abs().total_cmp(&b.normalize().dot(&n).abs()))
            .map_or(1.0, |v| v.dot(&n).abs().max(1e-3))
    }

    /// Position of `focus` along the normal, and the range the volume spans, in mm.
    pub fn depth_range(&self, g: &Geometry, focus: Point3<f64>) -> (f64, f64, f64) {
        let (_, _, n) = self.plane.axes(g);
        let ds: Vec<f64> = g.corners().iter().map(|p| p.coords.dot(&n)).collect();
        let lo = ds.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ds.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (focus.coords.dot(&n), lo, hi)
    }
}

/// Nearest-neighbour CPU sample at texture coordinates (the shader's reference). `None` outside.
pub fn sample_nearest(v: &Volume, tex: Vector3<f64>) -> Option<f64> {
    let [nx, ny, nz] = v.geometry.dims;
    let idx = |t: f64, n: usize| {
        let i = (t * n as f64).floor();
        (0.0..1.0).contains(&t).then_some((i as usize).min(n - 1))
    };
    Some(v.at(idx(tex.x, nx)?, idx(tex.y, ny)?, idx(tex.z, nz)?))
}

/// Where the plane through `point` with `normal` cuts the grid's box (voxel centres): the
/// polygon's corners in order around it (empty when the plane misses the box).
pub fn section_polygon(g: &Geometry, point: Point3<f64>, normal: Vector3<f64>) -> Vec<Point3<f64>> {
    let corners = g.corners();
    let dist = corners.map(|c| (c - point).dot(&normal));
    let mut pts: Vec<Point3<f64>> = Vec::new();
    for a in 0..8usize {
        for bit in [1usize, 2, 4] {
            let b = a | bit;
            if a & bit != 0 || b == a {
                continue;
            }
            let (da, db) = (dist[a], dist[b]);
            if (da <= 0.0 && db > 0.0) || (da > 0.0 && db <= 0.0) {
                let t = da / (da - db);
                pts.push(corners[a] + (corners[b] - corners[a]) * t);
            }
        }
    }
    if pts.len() < 3 {
        return Vec::new();
    }
    let c = pts.iter().fold(Vector3::zeros(), |acc, p| acc + p.coords) / pts.len() as f64;
    let u = (pts[0].coords - c).normalize();
    let v = normal.normalize().cross(&u);
    pts.sort_by(|p, q| {
        let angle = |x: &Point3<f64>| (x.coords - c).dot(&v).atan2((x.coords - c).dot(&u));
        angle(p).total_cmp(&angle(q))
    });
    pts
}

/// Trilinear CPU sample at texture coordinates (the filtered shader's reference: texel centres
/// at (i + 0.5) / n, clamped to the edge). `None` outside.
pub fn sample_trilinear(v: &Volume, tex: Vector3<f64>) -> Option<f64> {
    let dims = v.geometry.dims;
    if (0..3).any(|a| !(0.0..1.0).contains(&tex[a])) {
        return None;
    }
    let mut lo = [0usize; 3];
    let mut hi = [0usize; 3];
    let mut f = [0f64; 3];
    for a in 0..3 {
        let x = (tex[a] * dims[a] as f64 - 0.5).clamp(0.0, (dims[a] - 1) as f64);
        lo[a] = x.floor() as usize;
        hi[a] = (lo[a] + 1).min(dims[a] - 1);
        f[a] = x - lo[a] as f64;
    }
    let mut sum = 0.0;
    for corner in 0..8 {
        let pick = |a: usize| (corner >> a) & 1 == 1;
        let w: f64 = (0..3).map(|a| if pick(a) { f[a] } else { 1.0 - f[a] }).product();
        if w > 0.0 {
            let i = |a: usize| if pick(a) { hi[a] } else { lo[a] };
            sum += w * v.at(i(0), i(1), i(2));
        }
    }
    Some(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector4;

    fn grid() -> Geometry {
        Geometry {
            dims: [10, 20, 30],
            origin: Point3::new(-5.0, -10.0, 0.0),
            axes: nalgebra::Matrix3::from_diagonal(&Vector3::new(1.0, 1.0, 2.0)),
        }
    }

    #[test]
    fn uv_centre_maps_to_focus_voxel() {
        let g = grid();
        let mut view = SliceView::new(Plane::Axial);
        view.zoom = view.fit_zoom(&g, [100.0, 100.0]);
        let focus = g.index_to_patient(Vector3::new(3.0, 4.0, 5.0));
        let m = view.uv_to_texcoord(&g, focus, [100.0, 100.0]).unwrap();
        let t = m * Vector4::new(0.5, 0.5, 0.0, 1.0);
        assert!((t.x - 3.5 / 10.0).abs() < 1e-9);
        assert!((t.y - 4.5 / 20.0).abs() < 1e-9);
        assert!((t.z - 5.5 / 30.0).abs() < 1e-9);
    }

    #[test]
    fn radiological_axial_shows_patient_left_on_screen_right() {
        let g = grid();
        let mut view = SliceView::new(Plane::Axial);
        view.zoom = 1.0;
        let focus = g.center();
        let right = view.patient_at(&g, focus, [100.0, 100.0], [1.0, 0.5]);
        assert!(right.x > focus.x, "+X (patient left) must be on the screen's right");
        let sag = SliceView { zoom: 1.0, ..SliceView::new(Plane::Sagittal) };
        let top = sag.patient_at(&g, focus, [100.0, 100.0], [0.5, 0.0]);
        assert!(top.z > focus.z, "superior must be up");
    }

    #[test]
    fn uv_of_inverts_patient_at() {
        let g = grid();
        let view = SliceView { zoom: 2.5, pan: Vector2::new(3.0, -1.0), ..SliceView::new(Plane::Coronal) };
        let focus = Point3::new(1.0, 2.0, 3.0);
        let p = view.patient_at(&g, focus, [200.0, 120.0], [0.25, 0.75]);
        let uv = view.uv_of(&g, focus, [200.0, 120.0], p);
        assert!((uv[0] - 0.25).abs() < 1e-12 && (uv[1] - 0.75).abs() < 1e-12);
    }

    #[test]
    fn slice_step_follows_the_grid_axis_along_the_normal() {
        let g = grid();
        assert_eq!(SliceView::new(Plane::Axial).slice_step(&g), 2.0);
        assert_eq!(SliceView::new(Plane::Sagittal).slice_step(&g), 1.0);
    }

    #[test]
    fn oblique_tilted_a_quarter_turn_from_axial_is_coronal() {
        let g = grid();
        let mut o = Oblique::default();
        assert_eq!(Plane::Oblique(o).axes(&g).2, Plane::Axial.axes(&g).2);
        o.tilt(std::f64::consts::FRAC_PI_2);
        let (r, d, n) = Plane::Oblique(o).axes(&g);
        let (cr, cd, cn) = Plane::Coronal.axes(&g);
        assert!((r - cr).norm() < 1e-12 && (d - cd).norm() < 1e-12, "{r} {d}");
        assert!((n.dot(&cn)).abs() > 1.0 - 1e-12);
        o.spin(0.3);
        o.roll(-0.2);
        assert!((o.right.norm() - 1.0).abs() < 1e-12 && o.right.dot(&o.down).abs() < 1e-12);
    }

    #[test]
    fn axial_section_through_the_centre_is_the_grid_rectangle() {
        let g = grid();
        let poly = section_polygon(&g, g.center(), Vector3::z());
        assert_eq!(poly.len(), 4);
        for p in &poly {
            assert!((p.z - g.center().z).abs() < 1e-9);
            assert!((p.x - g.center().x).abs() > 4.0 && (p.y - g.center().y).abs() > 9.0);
        }
        assert!(section_polygon(&g, Point3::new(0.0, 0.0, 500.0), Vector3::z()).is_empty());
    }
}
